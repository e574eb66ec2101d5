#!/usr/bin/env python3
"""Writes tests/SrTrain.Tests/TestData/Degradation/draws.{json,u16.gz}: 10^5 draws of every random choice of
Real-ESRGAN's degradation, made by the projects' OWN code with the train_realesrgan_x4plus.yml options, for the
two-sample KS / chi-square test of SrTrain's RealEsrganSampler (tests/SrTrain.Tests/Degradation/RealEsrganSamplerTests.cs).

How the values are observed (nothing of the drawing logic is transcribed):
* RealESRGANDataset.__getitem__ (Real-ESRGAN's realesrgan/data/realesrgan_dataset.py) runs as is, with BasicSR's real
  augment and random_mixed_kernels / random_bivariate_*; only the pixel work is replaced: the image read returns a
  410x430 float32 image whose channels hold each pixel's row and column (the crop's top/left and the flip are read
  off the returned image), bivariate_Gaussian / _generalized_Gaussian / _plateau and circular_lowpass_kernel are
  recorders that note their arguments (type, size, sigma_x, sigma_y, rotation, beta, omega_c) and return a dummy.
  A further n/5 runs with use_rot: True record augment's vflip / rot90 and the crop of the transposed image.
* RealESRGANModel.feed_data (realesrgan/models/realesrgan_model.py) runs as is on a 1x3x400x400 batch (batch size 1,
  so per-sample and per-batch draws both number 10^5), with BasicSR's real random_add_*_noise_pt /
  random_generate_*_noise_pt and paired_random_crop; replaced: filter2D (records which kernel), F.interpolate
  (records scale_factor/size and mode; the resize back returns an image holding row/column, which gives
  paired_random_crop's top/left), generate_{gaussian,poisson}_noise_pt (record sigma/scale and gray), the jpeger
  (records quality), USM (identity) and the training-pair pool (off). The resize scales of the second resize are read
  from the model module's np.random.uniform calls (a logging proxy around numpy's own function), since F.interpolate
  only sees the rounded size.
Output: draws.json lists discrete parameters as counts per category and continuous ones as (name, lo, hi, n);
draws.u16.gz holds the continuous columns in that order, each value quantised to round((v - lo) / (hi - lo) * 65535)
as little-endian uint16 (2 bytes a value instead of 4: about 2 MB for ~10^6 values; the KS test quantises SrTrain's
draws the same way, so the comparison is exact on that grid).
Run: BASICSR_COMMIT=8d56e3a REALESRGAN_COMMIT=a4abfb2 /usr/bin/python3 scripts/reference/make_realesrgan_draws.py [n]   (torch 1.13, numpy 1.24; ~ a few minutes)"""
import gzip, json, math, os, random, sys, types
from collections import Counter
import numpy as np
import torch
sys.path.insert(0, os.path.dirname(__file__))
import basicsr_stubs as bs

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
out_dir = os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'SrTrain.Tests', 'TestData', 'Degradation')
IMG_H, IMG_W = 410, 430

deg = bs.degradations()
tr = bs.transforms()


class Registry:
    def register(self):
        return lambda cls: cls


bs.stub('basicsr.utils.registry', DATASET_REGISTRY=Registry(), MODEL_REGISTRY=Registry())
coords = np.zeros((IMG_H, IMG_W, 3), np.float32)
coords[:, :, 0] = np.arange(IMG_H)[:, None]
coords[:, :, 1] = np.arange(IMG_W)[None, :]


class FileClient:
    def __init__(self, *a, **k):
        pass

    def get(self, path, key):
        return b''


bs.stub('basicsr.utils', FileClient=FileClient, get_root_logger=None, imfrombytes=lambda b, float32: coords.copy(),
        img2tensor=lambda imgs, bgr2rgb, float32: imgs, DiffJPEG=None, USMSharp=None)
bs.stub('basicsr.utils.img_process_util', filter2D=None)
bs.stub('basicsr.models.srgan_model', SRGANModel=object)
ds_mod = bs.load('realesrgan.data.realesrgan_dataset', os.path.join(bs.REALESRGAN, 'realesrgan', 'data', 'realesrgan_dataset.py'))
model_mod = bs.load('realesrgan.models.realesrgan_model', os.path.join(bs.REALESRGAN, 'realesrgan', 'models', 'realesrgan_model.py'))

# ---------------------------------------------------------------- recorders
calls = []   # kernel calls of one __getitem__, in order


def rec_bivariate(kind, has_beta):
    def f(kernel_size, sig_x, sig_y, theta, *rest, isotropic=True, **kw):
        beta = (rest[0] if rest else kw['beta']) if has_beta else None
        name = kind if isotropic else kind.replace('iso', 'aniso')
        calls.append(dict(type=name, size=kernel_size, sigma_x=sig_x, sigma_y=None if isotropic else sig_y,
                          rotation=None if isotropic else theta, beta=beta))
        return np.ones((kernel_size, kernel_size))
    return f


deg.bivariate_Gaussian = rec_bivariate('iso', False)
deg.bivariate_generalized_Gaussian = rec_bivariate('generalized_iso', True)
deg.bivariate_plateau = rec_bivariate('plateau_iso', True)


def rec_sinc(cutoff, kernel_size, pad_to=0):
    calls.append(dict(type='sinc', size=kernel_size, omega=cutoff, pad_to=pad_to))
    n = pad_to if pad_to and pad_to > kernel_size else kernel_size
    return np.zeros((n, n))


ds_mod.circular_lowpass_kernel = rec_sinc

opt_ds = dict(io_backend=dict(type='disk'), dataroot_gt='', meta_info=None, use_hflip=True, use_rot=False,
              blur_kernel_size=21, kernel_list=['iso', 'aniso', 'generalized_iso', 'generalized_aniso', 'plateau_iso', 'plateau_aniso'],
              kernel_prob=[0.45, 0.25, 0.12, 0.03, 0.12, 0.03], sinc_prob=0.1, blur_sigma=[0.2, 3], betag_range=[0.5, 4],
              betap_range=[1, 2], blur_kernel_size2=21,
              kernel_list2=['iso', 'aniso', 'generalized_iso', 'generalized_aniso', 'plateau_iso', 'plateau_aniso'],
              kernel_prob2=[0.45, 0.25, 0.12, 0.03, 0.12, 0.03], sinc_prob2=0.1, blur_sigma2=[0.2, 1.5],
              betag_range2=[0.5, 4], betap_range2=[1, 2], final_sinc_prob=0.8)
dataset = ds_mod.RealESRGANDataset.__new__(ds_mod.RealESRGANDataset)
# __init__ reads meta_info from disk; set what it sets instead (same names)
dataset.opt, dataset.file_client, dataset.io_backend_opt, dataset.paths = opt_ds, None, dict(type='disk'), ['x']
for k in ('blur_kernel_size', 'kernel_list', 'kernel_prob', 'blur_sigma', 'betag_range', 'betap_range', 'sinc_prob',
          'blur_kernel_size2', 'kernel_list2', 'kernel_prob2', 'blur_sigma2', 'betag_range2', 'betap_range2', 'sinc_prob2',
          'final_sinc_prob'):
    setattr(dataset, k, opt_ds[k])
dataset.kernel_range = [2 * v + 1 for v in range(3, 11)]
dataset.pulse_tensor = torch.zeros(21, 21).float()
dataset.pulse_tensor[10, 10] = 1

# feed_data side
fd = {}


def rec_filter2D(img, kernel):
    fd.setdefault('filters', []).append('k1' if kernel is model.kernel1 else 'k2' if kernel is model.kernel2 else 'sinc')
    return img


def rec_interpolate(x, scale_factor=None, size=None, mode=None):
    fd.setdefault('interp', []).append((scale_factor, size, mode))
    fd.setdefault('seq', []).append('interp')
    if size is not None and tuple(size) == (100, 100):   # the resize back: an image holding row / column (/255)
        o = torch.zeros(x.size(0), 3, 100, 100)
        o[:, 0] = torch.arange(100).view(100, 1) / 255.
        o[:, 1] = torch.arange(100).view(1, 100) / 255.
        return o
    return torch.zeros(x.size(0), 3, 4, 4)


def rec_noise(kind):
    def f(img, s, gray_noise):
        fd.setdefault('noise', []).append((kind, float(s[0]), float(gray_noise[0])))
        return torch.zeros_like(img)
    return f


deg.generate_gaussian_noise_pt = rec_noise('gaussian')
deg.generate_poisson_noise_pt = rec_noise('poisson')
model_mod.filter2D = rec_filter2D
model_mod.F = types.SimpleNamespace(interpolate=rec_interpolate)
uniform_log = []


class _NpRandom:
    def uniform(self, *a):
        v = np.random.uniform(*a)
        uniform_log.append((a, v))
        return v


model_mod.np = types.SimpleNamespace(random=_NpRandom())
opt_model = dict(scale=4, gt_size=256, resize_prob=[0.2, 0.7, 0.1], resize_range=[0.15, 1.5], gaussian_noise_prob=0.5,
                 noise_range=[1, 30], poisson_scale_range=[0.05, 3], gray_noise_prob=0.4, jpeg_range=[30, 95],
                 second_blur_prob=0.8, resize_prob2=[0.3, 0.4, 0.3], resize_range2=[0.3, 1.2], gaussian_noise_prob2=0.5,
                 noise_range2=[1, 25], poisson_scale_range2=[0.05, 2.5], gray_noise_prob2=0.4, jpeg_range2=[30, 95])
model = model_mod.RealESRGANModel.__new__(model_mod.RealESRGANModel)
model.is_train, model.opt, model.device = True, opt_model, 'cpu'
model.usm_sharpener = lambda x: x
model._dequeue_and_enqueue = lambda: None


def rec_jpeg(x, quality):
    fd.setdefault('jpeg', []).append(float(quality[0]))
    fd.setdefault('seq', []).append('jpeg')
    return x


model.jpeger = rec_jpeg
gt = torch.zeros(1, 3, 400, 400)

# ---------------------------------------------------------------- run
random.seed(2025)
np.random.seed(2025)
torch.manual_seed(2025)
cont = {}     # name -> list of values
disc = {}     # name -> Counter
ranges = {}
TYPES = ['iso', 'aniso', 'generalized_iso', 'generalized_aniso', 'plateau_iso', 'plateau_aniso', 'sinc']
MODES = ['area', 'bilinear', 'bicubic']


def put(name, v, lo, hi):
    cont.setdefault(name, []).append(v)
    ranges[name] = (lo, hi)


def count(name, v):
    disc.setdefault(name, Counter())[v] += 1


def kernel(prefix, c, sigma, betag, betap):
    count(prefix + '.type', c['type'])
    count(prefix + '.size', c['size'])
    if c['type'] == 'sinc':
        assert not c['pad_to']
        if c['size'] < 13:
            put(prefix + '.omega_small', c['omega'], math.pi / 3, math.pi)
        else:
            put(prefix + '.omega_large', c['omega'], math.pi / 5, math.pi)
        return
    put(prefix + '.sigma_x', c['sigma_x'], *sigma)
    if 'aniso' in c['type']:
        put(prefix + '.sigma_y', c['sigma_y'], *sigma)
        put(prefix + '.rotation', c['rotation'], -math.pi, math.pi)
    if c['type'].startswith('generalized'):
        put(prefix + '.beta_g', c['beta'], *betag)
    if c['type'].startswith('plateau'):
        put(prefix + '.beta_p', c['beta'], *betap)


for n in range(N):
    calls.clear()
    d = dataset[0]
    img = d['gt']
    hflip = img[0, 1, 1] < img[0, 0, 1]
    count('hflip', int(hflip))
    count('crop_top', int(img[0, 0, 0]))
    count('crop_left', int(IMG_W - 1 - img[0, 0, 1]) if hflip else int(img[0, 0, 1]))
    assert len(calls) in (2, 3)
    kernel('k1', calls[0], opt_ds['blur_sigma'], opt_ds['betag_range'], opt_ds['betap_range'])
    kernel('k2', calls[1], opt_ds['blur_sigma2'], opt_ds['betag_range2'], opt_ds['betap_range2'])
    count('final.sinc', int(len(calls) == 3))
    if len(calls) == 3:
        assert calls[2]['type'] == 'sinc' and calls[2]['pad_to'] == 21
        count('final.size', calls[2]['size'])
        put('final.omega', calls[2]['omega'], math.pi / 3, math.pi)

    fd.clear()
    uniform_log.clear()
    model.feed_data({'gt': gt, 'kernel1': d['kernel1'], 'kernel2': d['kernel2'], 'sinc_kernel': d['sinc_kernel']})
    # resizes: the model's np.random.uniform calls with arguments are the scales (x4plus ranges differ per stage)
    scales = [(a, v) for a, v in uniform_log if a]
    interp = fd['interp']
    assert len(interp) == 3
    for stage, rng_, sc in ((1, opt_model['resize_range'], interp[0][0]), (2, opt_model['resize_range2'], None)):
        up = [v for a, v in scales if a == (1, rng_[1])]
        down = [v for a, v in scales if a == (rng_[0], 1)]
        direction = 'up' if up else 'down' if down else 'keep'
        count(f'resize{stage}.direction', direction)
        count(f'resize{stage}.mode', interp[stage - 1][2])
        if up:
            put(f'resize{stage}.up_scale', up[0], 1, rng_[1])
        if down:
            put(f'resize{stage}.down_scale', down[0], rng_[0], 1)
        if stage == 1:
            assert sc == (up or down or [1])[0]
    noise = fd['noise']
    assert len(noise) == 2
    for stage, (kind, s, gray) in enumerate(noise, 1):
        count(f'gaussian{stage}', int(kind == 'gaussian'))
        count(f'noise{stage}.gray', int(gray))
        sfx = '' if stage == 1 else '2'
        if kind == 'gaussian':
            put(f'noise{stage}.sigma', s, *opt_model['noise_range' + sfx])
        else:
            put(f'noise{stage}.poisson_scale', s, *opt_model['poisson_scale_range' + sfx])
    for stage, q in enumerate(fd['jpeg'], 1):
        put(f'jpeg{stage}', q, *opt_model['jpeg_range' + ('' if stage == 1 else '2')])
    filters = fd['filters']
    count('second_blur', int('k2' in filters))
    count('final_mode', interp[2][2])
    # order: [resize back + sinc] first when the third interpolate came before the second JPEG
    seq = fd['seq']
    assert sorted(seq) == ['interp'] * 3 + ['jpeg'] * 2
    count('resize_back_first', int(seq[3] == 'interp'))
    lq = model.lq
    count('lq_crop_top', int(round(float(lq[0, 0, 0, 0]) * 255)))
    count('lq_crop_left', int(round(float(lq[0, 1, 0, 0]) * 255)))

print('dataset + feed_data:', N, 'draws')

# use_rot: True (x4plus has it off): augment's vflip and rot90 and the crop of the transposed image, N // 5 runs of
# __getitem__. The flips are read off the returned coordinate image: rot90 when the row index varies along a row.
opt_ds['use_rot'] = True
for n in range(N // 5):
    calls.clear()
    img = dataset[0]['gt']
    rot = img[0, 1, 0] != img[0, 0, 0]
    if rot:   # img[r, c] = flipped[c, r]: X varies down the rows, Y along them
        hflip, vflip = img[1, 0, 1] < img[0, 0, 1], img[0, 1, 0] < img[0, 0, 0]
        top = IMG_W - 1 - img[0, 0, 1] if hflip else img[0, 0, 1]
        left = IMG_H - 1 - img[0, 0, 0] if vflip else img[0, 0, 0]
    else:
        hflip, vflip = img[0, 1, 1] < img[0, 0, 1], img[1, 0, 0] < img[0, 0, 0]
        top = IMG_H - 1 - img[0, 0, 0] if vflip else img[0, 0, 0]
        left = IMG_W - 1 - img[0, 0, 1] if hflip else img[0, 0, 1]
    count('rot.augment', f'{int(hflip)}{int(vflip)}{int(rot)}')
    count('rot.crop_top', f'{int(rot)}:{int(top)}')
    count('rot.crop_left', f'{int(rot)}:{int(left)}')
print('use_rot:', N // 5, 'draws')

names = sorted(cont)
doc = dict(source='BasicSR ' + os.environ.get('BASICSR_COMMIT', '?') + ' / Real-ESRGAN ' + os.environ.get('REALESRGAN_COMMIT', '?') +
           ', train_realesrgan_x4plus.yml options; '
           'scripts/reference/make_realesrgan_draws.py', n=N, image=[IMG_H, IMG_W], crop_pad_size=400, lq=[100, 100], lq_patch=64,
           discrete={k: {str(c): v for c, v in sorted(disc[k].items(), key=lambda kv: str(kv[0]))} for k in sorted(disc)},
           continuous=[dict(name=k, lo=ranges[k][0], hi=ranges[k][1], n=len(cont[k])) for k in names])
with open(os.path.join(out_dir, 'draws.json'), 'w') as f:
    json.dump(doc, f, indent=1)
blob = []
for k in names:
    lo, hi = ranges[k]
    v = np.asarray(cont[k], np.float64)
    assert v.min() >= lo and v.max() <= hi, k
    blob.append(np.round((v - lo) / (hi - lo) * 65535).astype('<u2'))
with gzip.GzipFile(os.path.join(out_dir, 'draws.u16.gz'), 'wb', mtime=0) as f:
    f.write(np.concatenate(blob).tobytes())
print({k: len(cont[k]) for k in names})
