#!/usr/bin/env python3
"""Writes tests/SrTrain.Tests/TestData/Degradation/pipeline*: Real-ESRGAN's high-order degradation run by its own code
(realesrgan/data/realesrgan_dataset.py __getitem__ for the augmentation, the crop and the three kernels;
realesrgan/models/realesrgan_model.py feed_data with BasicSR's USMSharp, filter2D, DiffJPEG, noise and
paired_random_crop), on the CPU, with every random draw recorded into SrTrain's SampleDraws/BatchDraws fields.

What differs from a real Real-ESRGAN run, on purpose:
- crop_pad_size is 192 instead of the hard-coded 400 (the one constant is replaced in the dataset's source text before
  it is executed), gt_size 128, scale 4: the smallest image of any stage is int(192/4*0.3) = 14 px after the second
  resize (no filter runs on it; DiffJPEG pads it to 16), the smallest image a filter runs on is int(192*0.15) = 28 px
  (blur2, reflect pad 10), USM (pad 25) runs on 192 px only.
- The noise tensors are a pure function of a recorded per-sample seed (SrTrain's definition, NoiseDraw.NoiseSeed):
  inside BasicSR's generate_gaussian_noise_pt / generate_poisson_noise_pt, the degradations module's `torch` is
  replaced while they run so that torch.randn / torch.poisson draw per sample from a CPU torch.Generator seeded with
  that sample's seed. Gaussian: noise_gray = randn(1,H,W) then noise = randn(3,H,W) from one generator, both always
  drawn (BasicSR draws one (H,W) gray noise for the whole batch). Poisson: from one generator rand(1,H,W) then
  rand(3,H,W) in float64, both always drawn, and torch.poisson replaced by the inverse CDF of one uniform per element
  (poisson_icdf; the gray rates take the first uniforms, the colour rates the second). Why not torch.poisson: it
  draws a variable number of uniforms per element, so one upstream rounding flip of a rate (round(x*255) of an x
  that differs by 1e-7 between two builds, or CPU and GPU) shifts every later element of that sample's noise; with
  one uniform per element the flip stays in its pixel. The counts keep Poisson's distribution.
- _dequeue_and_enqueue (the training-pair pool) is not run; the model object is made without networks.
- torchvision is not installed: rgb_to_grayscale is torchvision 0.14's (0.2989 R + 0.587 G + 0.114 B).

Files (all little-endian, C order):
  pipeline.json            settings, and per batch: BatchDraws, the SampleDraws of its samples, source photo of each
                           sample, and for the batches with stage dumps the stage names and shapes
  pipeline_gt_NN.png       the 64 GT crops (192x192, after augmentation and crop), 8-bit RGB
  pipeline_kernels.f32     (64, 3, 21, 21) kernel1, kernel2, sinc_kernel as feed_data received them
  pipeline_lq.u8           (64, 3, 32, 32) the final LQ patches times 255 (exact integers)
  pipeline_bNN_<stage>.f32.gz  every stage output (gzip of float32) of one sample (StageSample) of each batch
                           listed in StageBatches: about 9 MB of float32 before gzip
  pipeline_rng.f64         the random numbers of a few seeds drawn by torch 1.13 (see main), to check that libtorch
                           draws the same numbers from the same seeds, and Poisson counts of fixed rates
Run with a real PyTorch (Debian's python3-torch 1.13 made the committed files):
/usr/bin/python3 scripts/reference/make_realesrgan_fixture.py  (needs the BasicSR and Real-ESRGAN sources: set
BASICSR_SRC / REALESRGAN_SRC to folders holding basicsr/ and realesrgan/)"""
import gzip
import importlib.util
import json
import math
import os
import random
import sys
import types

import cv2
import numpy as np
import torch
from torch.nn import functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'tests', 'SrTrain.Tests', 'TestData', 'Degradation')
BASICSR = os.environ.get('BASICSR_SRC', '/tmp/p1-basicsr')
REALESRGAN = os.environ.get('REALESRGAN_SRC', '/tmp/p1-resr')
PHOTOS = [os.path.join(ROOT, 'datasets', 'sample', 'train', n)
          for n in ('camera.png', 'coffee.png', 'grass.png', 'gravel.png', 'logo.png')]
CROP, GT_SIZE, SCALE, BATCH, BATCHES = 192, 128, 4, 4, 16
STAGE_BUDGET = 9_000_000  # bytes of stage dumps before gzip

torch.set_num_threads(1)


# ---------------------------------------------------------------- load the single modules, with stub packages
def stub(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    m.__path__ = []
    sys.modules[name] = m
    return m


def load(name, path, source_edit=None):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    if source_edit is None:
        spec.loader.exec_module(mod)
    else:
        with open(path) as f:
            src = source_edit(f.read())
        exec(compile(src, path, 'exec'), mod.__dict__)
    return mod


def rgb_to_grayscale(img, num_output_channels=1):
    r, g, b = img.unbind(dim=-3)
    l_img = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)
    return l_img.expand(img.shape) if num_output_channels == 3 else l_img


class Registry:
    def register(self, *a, **k):
        return (lambda c: c) if not a or not isinstance(a[0], type) else a[0]


stub('torchvision')
stub('torchvision.transforms')
stub('torchvision.transforms.functional', rgb_to_grayscale=rgb_to_grayscale)
stub('torchvision.utils', make_grid=None)
stub('basicsr')
stub('basicsr.data')
stub('basicsr.models')
stub('basicsr.utils.registry', MODEL_REGISTRY=Registry(), DATASET_REGISTRY=Registry())
stub('basicsr.models.srgan_model', SRGANModel=object)
utils = stub('basicsr.utils')
B = os.path.join(BASICSR, 'basicsr')
deg = load('basicsr.data.degradations', os.path.join(B, 'data', 'degradations.py'))
transforms = load('basicsr.data.transforms', os.path.join(B, 'data', 'transforms.py'))
img_util = load('basicsr.utils.img_util', os.path.join(B, 'utils', 'img_util.py'))
ipu = load('basicsr.utils.img_process_util', os.path.join(B, 'utils', 'img_process_util.py'))
diffjpeg = load('basicsr.utils.diffjpeg', os.path.join(B, 'utils', 'diffjpeg.py'))


class FileClient:
    def __init__(self, backend='disk', **kwargs):
        pass

    def get(self, path, key):
        with open(path, 'rb') as f:
            return f.read()


utils.__dict__.update(FileClient=FileClient, get_root_logger=None, imfrombytes=img_util.imfrombytes,
                      img2tensor=img_util.img2tensor, DiffJPEG=diffjpeg.DiffJPEG, USMSharp=ipu.USMSharp)


def crop_edit(src):
    assert src.count('crop_pad_size = 400') == 1
    return src.replace('crop_pad_size = 400', f'crop_pad_size = {CROP}')


dsmod = load('realesrgan_dataset', os.path.join(REALESRGAN, 'realesrgan', 'data', 'realesrgan_dataset.py'), crop_edit)
modelmod = load('realesrgan_model', os.path.join(REALESRGAN, 'realesrgan', 'models', 'realesrgan_model.py'))

# Real-ESRGAN's options/train_realesrnet_x4plus.yml (degradation settings)
OPT = dict(
    blur_kernel_size=21, kernel_list=['iso', 'aniso', 'generalized_iso', 'generalized_aniso', 'plateau_iso',
                                      'plateau_aniso'],
    kernel_prob=[0.45, 0.25, 0.12, 0.03, 0.12, 0.03], sinc_prob=0.1, blur_sigma=[0.2, 3], betag_range=[0.5, 4],
    betap_range=[1, 2],
    blur_kernel_size2=21, kernel_list2=['iso', 'aniso', 'generalized_iso', 'generalized_aniso', 'plateau_iso',
                                        'plateau_aniso'],
    kernel_prob2=[0.45, 0.25, 0.12, 0.03, 0.12, 0.03], sinc_prob2=0.1, blur_sigma2=[0.2, 1.5], betag_range2=[0.5, 4],
    betap_range2=[1, 2], final_sinc_prob=0.8, use_hflip=True, use_rot=False,
    resize_prob=[0.2, 0.7, 0.1], resize_range=[0.15, 1.5], gaussian_noise_prob=0.5, noise_range=[1, 30],
    poisson_scale_range=[0.05, 3], gray_noise_prob=0.4, jpeg_range=[30, 95],
    second_blur_prob=0.8, resize_prob2=[0.3, 0.4, 0.3], resize_range2=[0.3, 1.2], gaussian_noise_prob2=0.5,
    noise_range2=[1, 25], poisson_scale_range2=[0.05, 2.5], gray_noise_prob2=0.4, jpeg_range2=[30, 95],
    scale=SCALE, gt_size=GT_SIZE)
# use_rot True so that the three augmentation draws all happen (Real-ESRGAN's option file has use_rot False)
OPT['use_rot'] = True

# ---------------------------------------------------------------- recording
events = []  # (name, value) in call order, feed_data's draws and stages


class RecordingRandom:
    """Stands for the `random` module in a module's namespace and logs what it returns."""

    def __init__(self, tag):
        self.tag = tag

    def __getattr__(self, name):
        fn = getattr(random, name)

        def wrapped(*a, **k):
            r = fn(*a, **k)
            events.append((f'{self.tag}.random.{name}', r))
            return r
        return wrapped


class RecordingNpRandom:
    def __init__(self, tag):
        self.tag = tag

    def __getattr__(self, name):
        fn = getattr(np.random, name)

        def wrapped(*a, **k):
            r = fn(*a, **k)
            events.append((f'{self.tag}.np.uniform' if name == 'uniform' else f'{self.tag}.np.{name}', r))
            return r
        return wrapped


class NpProxy:
    def __init__(self, tag):
        self.random = RecordingNpRandom(tag)

    def __getattr__(self, name):
        return getattr(np, name)


for mod, tag in ((dsmod, 'ds'), (modelmod, 'model'), (transforms, 'tr'), (deg, 'deg')):
    mod.random = RecordingRandom(tag)
    mod.np = NpProxy(tag)

# kernels: the parameters BasicSR passes to its kernel functions
kernel_calls = []


def record_kernel(fn, kind):
    def wrapped(kernel_size, sig_x, sig_y, theta, *a, isotropic=True, **k):
        beta = a[0] if a else k.get('beta', 0.0)
        kernel_calls.append(dict(Type=('' if kind == 'Gaussian' else kind) + ('Iso' if isotropic else 'Aniso'),
                                 Size=int(kernel_size), SigmaX=float(sig_x),
                                 SigmaY=float(sig_x if isotropic else sig_y),
                                 Rotation=float(0 if isotropic else theta), Beta=float(beta), OmegaC=0.0))
        return fn(kernel_size, sig_x, sig_y, theta, *a, isotropic=isotropic, **k)
    return wrapped


deg.bivariate_Gaussian = record_kernel(deg.bivariate_Gaussian, 'Gaussian')
deg.bivariate_generalized_Gaussian = record_kernel(deg.bivariate_generalized_Gaussian, 'Generalized')
deg.bivariate_plateau = record_kernel(deg.bivariate_plateau, 'Plateau')
_circular = deg.circular_lowpass_kernel


def circular_recorded(cutoff, kernel_size, pad_to=0):
    kernel_calls.append(dict(Type='Sinc', Size=int(kernel_size), SigmaX=0.0, SigmaY=0.0, Rotation=0.0, Beta=0.0,
                             OmegaC=float(cutoff)))
    return _circular(cutoff, kernel_size, pad_to)


dsmod.circular_lowpass_kernel = circular_recorded
PULSE = dict(Type='Pulse', Size=21, SigmaX=0.0, SigmaY=0.0, Rotation=0.0, Beta=0.0, OmegaC=0.0)

_augment = transforms.augment


def augment_recorded(imgs, hflip=True, rotation=True, *a, **k):
    before = random.getstate()
    out = _augment(imgs, hflip, rotation, *a, **k)
    after = random.getstate()
    random.setstate(before)
    h = hflip and random.random() < 0.5
    v = rotation and random.random() < 0.5
    r = rotation and random.random() < 0.5
    assert random.getstate() == after
    events.append(('augment', (bool(h), bool(v), bool(r))))
    return out


dsmod.augment = augment_recorded

# noise from per-sample seeds
seed_rng = random.Random(20261204)


class NoiseTorch:
    """Stands for `torch` inside the degradations module while one generate_*_noise_pt call runs."""

    def __init__(self, b, gaussian, seeds):
        self.gens = [torch.Generator().manual_seed(s) for s in seeds]
        self.gaussian = gaussian
        self.b = b
        self.pre = None

    def __getattr__(self, name):
        return getattr(torch, name)

    def randn(self, *size, dtype=None, device=None):
        assert self.gaussian
        if self.pre is None:
            h, w = size[-2:]
            self.pre = [(torch.randn(1, h, w, generator=g), torch.randn(3, h, w, generator=g)) for g in self.gens]
        if len(size) == 2:  # the gray noise: (h, w) * sigma(b,1,1,1) -> (b,1,h,w)
            return torch.stack([p[0] for p in self.pre])
        assert len(size) == 4 and size[0] == self.b and size[1] == 3
        return torch.stack([p[1] for p in self.pre])

    def poisson(self, rates):
        assert not self.gaussian and rates.size(0) == self.b
        b, c, h, w = rates.shape
        if self.pre is None:
            self.pre = [(torch.rand(1, h, w, dtype=torch.float64, generator=g),
                         torch.rand(3, h, w, dtype=torch.float64, generator=g)) for g in self.gens]
        assert c in (1, 3)
        return torch.stack([torch.from_numpy(poisson_icdf(rates[i].numpy(), self.pre[i][0 if c == 1 else 1].numpy()))
                            for i in range(b)])


def poisson_cdf(lam):
    """P(X <= k) for k = 0..K, K = ceil(lam + 10 sqrt(lam) + 20), summed in double from k = 0 (SrTrain's
    DegradationNoise.PoissonCdf does the same operations in the same order)."""
    top = math.ceil(lam + 10 * math.sqrt(lam) + 20)
    cdf, pmf, total = np.empty(top + 1), math.exp(-lam), 0.0
    for k in range(top + 1):
        if k > 0:
            pmf = pmf * lam / k
        total += pmf
        cdf[k] = total
    return cdf


def poisson_icdf(rates, u):
    """Poisson counts of float32 rates by the inverse CDF of one double uniform per element: the first k with
    u < P(X <= k), at most K."""
    out = np.empty(rates.shape, np.float32)
    for lam in np.unique(rates):
        cdf = poisson_cdf(float(lam))
        mask = rates == lam
        out[mask] = np.minimum(np.searchsorted(cdf, u[mask], side='right'), len(cdf) - 1)
    return out


def seeded(fn, gaussian):
    def wrapped(img, sigma_or_scale, gray_noise):
        b = img.size(0)
        seeds = [seed_rng.getrandbits(62) for _ in range(b)]
        events.append(('noise', dict(gaussian=gaussian, values=sigma_or_scale.tolist(), gray=gray_noise.tolist(),
                                     seeds=seeds)))
        deg.torch = NoiseTorch(b, gaussian, seeds)
        try:
            return fn(img, sigma_or_scale, gray_noise)
        finally:
            deg.torch = torch
    return wrapped


_gaussian_pt, _poisson_pt = deg.generate_gaussian_noise_pt, deg.generate_poisson_noise_pt
deg.generate_gaussian_noise_pt = seeded(deg.generate_gaussian_noise_pt, True)
deg.generate_poisson_noise_pt = seeded(deg.generate_poisson_noise_pt, False)


def stage(name, fn):
    def wrapped(*a, **k):
        out = fn(*a, **k)
        events.append(('stage', (name, out.clone())))
        return out
    return wrapped


modelmod.filter2D = stage('filter2D', ipu.filter2D)
modelmod.random_add_gaussian_noise_pt = stage('noise', deg.random_add_gaussian_noise_pt)
modelmod.random_add_poisson_noise_pt = stage('noise', deg.random_add_poisson_noise_pt)


class FProxy:
    def __getattr__(self, name):
        return getattr(torch.nn.functional, name)

    interpolate = staticmethod(stage('interpolate', torch.nn.functional.interpolate))


modelmod.F = FProxy()
_paired = transforms.paired_random_crop


def paired_recorded(img_gts, img_lqs, gt_patch_size, scale, gt_path=None):
    events.append(('stage', ('lq_full', img_lqs.clone())))
    return _paired(img_gts, img_lqs, gt_patch_size, scale, gt_path)


modelmod.paired_random_crop = paired_recorded


class Jpeger:
    def __init__(self):
        self.inner = diffjpeg.DiffJPEG(differentiable=False)

    def __call__(self, x, quality):
        events.append(('jpeg_quality', quality.clone().tolist()))
        out = self.inner(x, quality=quality)
        events.append(('stage', ('jpeg', out.clone())))
        return out


class Usm:
    def __init__(self):
        self.inner = ipu.USMSharp()

    def __call__(self, x):
        out = self.inner(x)
        events.append(('stage', ('usm', out.clone())))
        return out


# ---------------------------------------------------------------- objects
dataset = object.__new__(dsmod.RealESRGANDataset)
dataset.__dict__.update(
    opt=OPT, file_client=None, io_backend_opt={'type': 'disk'}, paths=[],
    blur_kernel_size=OPT['blur_kernel_size'], kernel_list=OPT['kernel_list'], kernel_prob=OPT['kernel_prob'],
    blur_sigma=OPT['blur_sigma'], betag_range=OPT['betag_range'], betap_range=OPT['betap_range'],
    sinc_prob=OPT['sinc_prob'], blur_kernel_size2=OPT['blur_kernel_size2'], kernel_list2=OPT['kernel_list2'],
    kernel_prob2=OPT['kernel_prob2'], blur_sigma2=OPT['blur_sigma2'], betag_range2=OPT['betag_range2'],
    betap_range2=OPT['betap_range2'], sinc_prob2=OPT['sinc_prob2'], final_sinc_prob=OPT['final_sinc_prob'],
    kernel_range=[2 * v + 1 for v in range(3, 11)], pulse_tensor=torch.zeros(21, 21).float())
dataset.pulse_tensor[10, 10] = 1
dataset.paths = PHOTOS

model = object.__new__(modelmod.RealESRGANModel)
model.__dict__.update(is_train=True, opt=dict(OPT, high_order_degradation=True), device=torch.device('cpu'),
                      jpeger=Jpeger(), usm_sharpener=Usm(), queue_size=180)
model._dequeue_and_enqueue = lambda: None

MODES = {'area': 'Area', 'bilinear': 'Bilinear', 'bicubic': 'Bicubic'}
DIRS = {'up': 'Up', 'down': 'Down', 'keep': 'Keep'}


def take(it, name):
    ev = next(it)
    assert ev[0] == name, (ev[0], name)
    return ev[1]


def decode_feed(evs, b):
    """feed_data's events in order -> BatchDraws, per-sample noise/jpeg draws, named stages."""
    it = iter(evs)
    stages = []

    def st(name):
        got = take(it, 'stage')
        assert got[0] in name.split('|'), (got[0], name)
        return got[1]

    stages.append(('usm', st('usm')))
    stages.append(('blur1', st('filter2D')))
    d = {}

    def resize(tag):
        direction = take(it, 'model.random.choices')[0]
        scale = float(take(it, 'model.np.uniform')) if direction != 'keep' else 1.0
        mode = take(it, 'model.random.choice')
        return dict(Direction=DIRS[direction], Scale=scale, Mode=MODES[mode])

    d['Resize1'] = resize(1)
    stages.append(('resize1', st('interpolate')))
    take(it, 'model.np.uniform')  # < gaussian_noise_prob
    n1 = take(it, 'noise')
    d['Gaussian1'] = n1['gaussian']
    stages.append(('noise1', st('noise')))
    q1 = take(it, 'jpeg_quality')
    stages.append(('jpeg1', st('jpeg')))
    ev = next(it)
    assert ev[0] == 'model.np.uniform'
    d['SecondBlur'] = bool(ev[1] < OPT['second_blur_prob'])
    if d['SecondBlur']:
        stages.append(('blur2', st('filter2D')))
    d['Resize2'] = resize(2)
    stages.append(('resize2', st('interpolate')))
    take(it, 'model.np.uniform')
    n2 = take(it, 'noise')
    d['Gaussian2'] = n2['gaussian']
    stages.append(('noise2', st('noise')))
    ev = next(it)
    assert ev[0] == 'model.np.uniform'
    d['ResizeBackFirst'] = bool(ev[1] < 0.5)
    if d['ResizeBackFirst']:
        d['FinalMode'] = MODES[take(it, 'model.random.choice')]
        stages.append(('resize_back', st('interpolate')))
        stages.append(('sinc', st('filter2D')))
        q2 = take(it, 'jpeg_quality')
        stages.append(('jpeg2', st('jpeg')))
    else:
        q2 = take(it, 'jpeg_quality')
        stages.append(('jpeg2', st('jpeg')))
        d['FinalMode'] = MODES[take(it, 'model.random.choice')]
        stages.append(('resize_back', st('interpolate')))
        stages.append(('sinc', st('filter2D')))
    stages.append(('lq_full', st('lq_full')))
    d['LqCropTop'] = take(it, 'tr.random.randint')
    d['LqCropLeft'] = take(it, 'tr.random.randint')
    stages.append(('usm_again', st('usm')))  # feed_data sharpens the (pooled) gt again
    assert next(it, None) is None

    def noise(n, i):
        return dict(Gaussian=n['gaussian'], Sigma=n['values'][i] if n['gaussian'] else 0.0,
                    PoissonScale=0.0 if n['gaussian'] else n['values'][i], Gray=n['gray'][i] > 0.5,
                    NoiseSeed=n['seeds'][i])

    per = [dict(Noise1=noise(n1, i), Jpeg1=q1[i], Noise2=noise(n2, i), Jpeg2=q2[i]) for i in range(b)]
    return d, per, stages[:-1]


def replay(meta, gts):
    """Runs the degradation again from the recorded draws alone (BasicSR's functions, no random generator), as
    SrTrain's RealEsrganDegrader does, and returns the LQ patches: a check that the draws say everything."""
    usm, jpeger = ipu.USMSharp(), diffjpeg.DiffJPEG(differentiable=False)
    inv = {v: k for k, v in MODES.items()}
    out_lq = []
    for bi, fb in enumerate(meta['Batches']):
        bd, ss = fb['Batch'], fb['Samples']
        gt = gts[bi * BATCH:(bi + 1) * BATCH]
        h0, w0 = gt.shape[2:]

        def kern(key):
            return torch.stack([torch.FloatTensor(kernel_of(s[key])) for s in ss])

        def noise(img, gaussian, key):
            ds = [s[key] for s in ss]
            gray = torch.tensor([1.0 if d['Gray'] else 0.0 for d in ds])
            val = torch.tensor([d['Sigma'] if gaussian else d['PoissonScale'] for d in ds], dtype=torch.float32)
            deg.torch = NoiseTorch(len(ds), gaussian, [d['NoiseSeed'] for d in ds])
            try:
                n = (_gaussian_pt if gaussian else _poisson_pt)(img, val, gray)
            finally:
                deg.torch = torch
            return torch.clamp(img + n, 0, 1)

        def jpeg(img, key):
            q = torch.tensor([s[key] for s in ss], dtype=torch.float32)
            return jpeger(torch.clamp(img, 0, 1), quality=q)

        def back_sinc(img):
            img = F.interpolate(img, size=(h0 // SCALE, w0 // SCALE), mode=inv[bd['FinalMode']])
            return ipu.filter2D(img, kern('FinalSinc'))

        out = ipu.filter2D(usm(gt), kern('Kernel1'))
        out = F.interpolate(out, scale_factor=bd['Resize1']['Scale'], mode=inv[bd['Resize1']['Mode']])
        out = jpeg(noise(out, bd['Gaussian1'], 'Noise1'), 'Jpeg1')
        if bd['SecondBlur']:
            out = ipu.filter2D(out, kern('Kernel2'))
        s2 = bd['Resize2']['Scale']
        out = F.interpolate(out, size=(int(h0 / SCALE * s2), int(w0 / SCALE * s2)), mode=inv[bd['Resize2']['Mode']])
        out = noise(out, bd['Gaussian2'], 'Noise2')
        out = jpeg(back_sinc(out), 'Jpeg2') if bd['ResizeBackFirst'] else back_sinc(jpeg(out, 'Jpeg2'))
        lq = torch.clamp((out * 255.0).round(), 0, 255) / 255.
        p, t, l = GT_SIZE // SCALE, bd['LqCropTop'], bd['LqCropLeft']
        out_lq.append(lq[:, :, t:t + p, l:l + p])
    return torch.cat(out_lq)


def kernel_of(k):
    n, t = k['Size'], k['Type']
    if t == 'Pulse':
        kernel = np.zeros((21, 21))
        kernel[10, 10] = 1
        return kernel
    if t == 'Sinc':
        return _circular(k['OmegaC'], n, 21)
    iso = t.endswith('Iso')
    if t in ('Iso', 'Aniso'):
        kernel = deg.bivariate_Gaussian(n, k['SigmaX'], k['SigmaY'], k['Rotation'], isotropic=iso)
    elif t.startswith('Generalized'):
        kernel = deg.bivariate_generalized_Gaussian(n, k['SigmaX'], k['SigmaY'], k['Rotation'], k['Beta'], isotropic=iso)
    else:
        kernel = deg.bivariate_plateau(n, k['SigmaX'], k['SigmaY'], k['Rotation'], k['Beta'], isotropic=iso)
    p = (21 - n) // 2
    return np.pad(kernel, ((p, p), (p, p)))


def main():
    random.seed(25)
    np.random.seed(25)
    torch.manual_seed(25)
    os.makedirs(OUT, exist_ok=True)
    batches, gts, kernels, lqs, all_stages = [], [], [], [], []
    for bi in range(BATCHES):
        samples, items = [], []
        for j in range(BATCH):
            index = (bi * BATCH + j) % len(PHOTOS)
            events.clear()
            kernel_calls.clear()
            item = dataset[index]
            (h, v, r), = [e[1] for e in events if e[0] == 'augment']
            crops = [e[1] for e in events if e[0] == 'ds.random.randint']
            assert len(crops) == 2, events  # every photo is larger than CROP in both directions
            top, left = crops
            kc = list(kernel_calls)
            assert len(kc) in (2, 3)
            k1, k2 = kc[0], kc[1]
            fs = kc[2] if len(kc) == 3 else PULSE
            samples.append(dict(HFlip=h, VFlip=v, Rot90=r, CropTop=top, CropLeft=left, Kernel1=k1, Kernel2=k2,
                                FinalSinc=fs, Photo=os.path.basename(PHOTOS[index])))
            items.append(item)
        data = {k: torch.stack([it_[k] for it_ in items]) for k in ('gt', 'kernel1', 'kernel2', 'sinc_kernel')}
        events.clear()
        model.feed_data(data)
        bd, per, stages = decode_feed(list(events), BATCH)
        for s, p in zip(samples, per):
            s.update(p)
        gts.append(data['gt'])
        kernels.append(torch.stack([data['kernel1'], data['kernel2'], data['sinc_kernel']], 1))
        lq = model.lq
        assert lq.shape[-1] == GT_SIZE // SCALE
        assert torch.equal(model.gt, data['gt'][:, :, bd['LqCropTop'] * SCALE:bd['LqCropTop'] * SCALE + GT_SIZE,
                                                bd['LqCropLeft'] * SCALE:bd['LqCropLeft'] * SCALE + GT_SIZE])
        lqs.append(lq)
        all_stages.append(stages)
        batches.append(dict(Batch=bd, Samples=samples))
        print(bi, bd, [(n, tuple(t.shape)) for n, t in stages], flush=True)

    # stage dumps: one sample of each chosen batch (sample index batch % 4, so the photos vary), batches chosen
    # greedily for variety per byte (both noise types, gray noise, both orders, every resize direction and mode,
    # second blur on and off) within the byte budget
    def size(bi):
        return sum(t[0].numel() * 4 for _, t in all_stages[bi])

    def traits(bi):
        bd = batches[bi]['Batch']
        s = batches[bi]['Samples'][bi % BATCH]
        return {('g1', bd['Gaussian1']), ('g2', bd['Gaussian2']), ('order', bd['ResizeBackFirst']),
                ('r1', bd['Resize1']['Direction']), ('r2', bd['Resize2']['Direction']), ('blur2', bd['SecondBlur']),
                ('gray1', s['Noise1']['Gray']), ('gray2', s['Noise2']['Gray']), ('pulse', s['FinalSinc']['Type']),
                ('k1', s['Kernel1']['Type']), ('k2', s['Kernel2']['Type']),
                ('m1', bd['Resize1']['Mode']), ('m2', bd['Resize2']['Mode']), ('mf', bd['FinalMode'])}
    chosen, covered, used = [], set(), 0
    while True:
        best = None
        for bi in range(BATCHES):
            if bi in chosen or used + size(bi) > STAGE_BUDGET:
                continue
            gain = len(traits(bi) - covered) + 0.1
            if best is None or gain / size(bi) > best[0]:
                best = (gain / size(bi), bi)
        if best is None:
            break
        chosen.append(best[1])
        covered |= traits(best[1])
        used += size(best[1])
    chosen.sort()
    for bi in chosen:
        j = bi % BATCH
        batches[bi]['StageSample'] = j
        batches[bi]['Stages'] = [dict(Name=n, Shape=list(t[j].shape)) for n, t in all_stages[bi]]
        for n, t in all_stages[bi]:
            raw = t[j].contiguous().numpy().astype('<f4').tobytes()
            with gzip.GzipFile(os.path.join(OUT, f'pipeline_b{bi:02d}_{n}.f32.gz'), 'wb', 9, mtime=0) as f:
                f.write(raw)

    gt = torch.cat(gts)
    for i in range(gt.size(0)):
        img = (gt[i].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        assert np.array_equal(img.astype(np.float32) / 255, gt[i].permute(1, 2, 0).numpy())
        cv2.imwrite(os.path.join(OUT, f'pipeline_gt_{i:02d}.png'), img[:, :, ::-1])
    torch.cat(kernels).numpy().astype('<f4').tofile(os.path.join(OUT, 'pipeline_kernels.f32'))
    lq8 = (torch.cat(lqs) * 255).round()
    assert torch.equal(lq8 / 255, torch.cat(lqs))
    lq8.numpy().astype(np.uint8).tofile(os.path.join(OUT, 'pipeline_lq.u8'))

    # libtorch's generators against torch 1.13's, in float64: per seed randn(1,16,24), randn(3,16,24) from one
    # generator (the Gaussian stage); rand(1,16,24), rand(3,16,24) in float64 from a fresh one (the Poisson stage),
    # and the Poisson counts of fixed rates with those colour uniforms
    rng_seeds = [1, 2 ** 40 + 7, 4611686018427387903]
    rates = ((torch.arange(3 * 16 * 24, dtype=torch.float32).view(3, 16, 24) % 97) * 0.37)
    rng = []
    for s in rng_seeds:
        g = torch.Generator().manual_seed(s)
        rng += [torch.randn(1, 16, 24, generator=g).double().flatten(), torch.randn(3, 16, 24, generator=g).double()
                .flatten()]
        g = torch.Generator().manual_seed(s)
        ug, uc = torch.rand(1, 16, 24, dtype=torch.float64, generator=g), torch.rand(3, 16, 24, dtype=torch.float64,
                                                                                     generator=g)
        rng += [ug.flatten(), uc.flatten(), torch.from_numpy(poisson_icdf(rates.numpy(), uc.numpy())).double().flatten()]
    torch.cat(rng).numpy().astype('<f8').tofile(os.path.join(OUT, 'pipeline_rng.f64'))

    meta = dict(CropPadSize=CROP, GtSize=GT_SIZE, Scale=SCALE, BatchSize=BATCH, Options=OPT,
                RngSeeds=rng_seeds, RngShape=[16, 24], StageBatches=chosen, Batches=batches,
                Torch=torch.__version__)
    with open(os.path.join(OUT, 'pipeline.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    print('stage batches', chosen, 'stage bytes', used)
    kernel_calls.clear()
    with torch.no_grad():
        again = replay(json.loads(json.dumps(meta)), gt)
    assert torch.equal(again, torch.cat(lqs)), 'the recorded draws do not reproduce the LQ'
    assert np.array_equal(torch.stack([torch.stack([torch.FloatTensor(kernel_of(s[k])) for k in
                                                  ('Kernel1', 'Kernel2', 'FinalSinc')]) for b in batches
                                     for s in b['Samples']]).numpy(), torch.cat(kernels).numpy())
    print('replay from the recorded draws: LQ and kernels equal')


if __name__ == '__main__':
    main()
