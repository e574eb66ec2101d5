#!/usr/bin/env python3
"""Writes tests/SrTrain.Tests/TestData/Degradation/ops_reference.safetensors: what BasicSR's own tensor operations of
Real-ESRGAN's degradation compute, for DegradationOpsTests, DiffJpegTests and UsmSharpTests.

Run with a real PyTorch and BasicSR's sources (Debian's python3-torch 1.13 and cv2 4.6 made the committed file):
  git --git-dir=/work/.mirror/XPixelGroup+BasicSR/repo archive HEAD basicsr | tar -x -C /tmp/t-basicsr
  /usr/bin/python3 scripts/reference/make_degradation_ops_reference.py /tmp/t-basicsr

The modules are loaded one by one (basicsr/__init__ imports everything). torchvision is not installed here, so
rgb_to_grayscale is torchvision 0.14's functional_tensor.rgb_to_grayscale, copied.

Input: 'input' (3,3,48,60) uint8 RGB, image 0 a crop of TestData/Data/chelsea_hq.png, image 1 of coffee_hq.png,
image 2 uniform random; every op reads it as float32 /255 and uses a crop of it. Sizes are kept small (the file is
about 0.6 MB) while still covering odd sizes, sizes that are and are not multiples of 16, batch 3 with per-image
parameters, and a 51x51 USM kernel (which needs >= 26 pixels for the reflect padding)."""
import importlib.util, json, os, struct, sys, types
import cv2, numpy as np, torch
from torch.nn import functional as F

src = sys.argv[1] if len(sys.argv) > 1 else '/tmp/t-basicsr'
repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
out_path = os.path.join(repo, 'tests', 'SrTrain.Tests', 'TestData', 'Degradation', 'ops_reference.safetensors')


def rgb_to_grayscale(img, num_output_channels=1):  # torchvision 0.14 functional_tensor.rgb_to_grayscale
    r, g, b = img.unbind(dim=-3)
    l_img = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype)
    l_img = l_img.unsqueeze(dim=-3)
    return l_img.expand(img.shape) if num_output_channels == 3 else l_img


tv = types.ModuleType('torchvision'); tvt = types.ModuleType('torchvision.transforms')
tvf = types.ModuleType('torchvision.transforms.functional'); tvf.rgb_to_grayscale = rgb_to_grayscale
tv.transforms = tvt; tvt.functional = tvf
sys.modules.update({'torchvision': tv, 'torchvision.transforms': tvt, 'torchvision.transforms.functional': tvf})


def load(name, rel):
    spec = importlib.util.spec_from_file_location(name, os.path.join(src, rel))
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); return m


ipu = load('img_process_util', 'basicsr/utils/img_process_util.py')
deg = load('degradations', 'basicsr/data/degradations.py')
dj = load('diffjpeg', 'basicsr/utils/diffjpeg.py')

tensors = {}
def put(name, t):
    tensors[name] = t.detach().contiguous().cpu()

# ---- input ----
rng = np.random.RandomState(25)
def crop(png, top, left):
    im = cv2.imread(os.path.join(repo, 'tests', 'SrTrain.Tests', 'TestData', 'Data', png))[:, :, ::-1]
    return np.ascontiguousarray(im[top:top + 48, left:left + 60].transpose(2, 0, 1))
inp = np.stack([crop('chelsea_hq.png', 60, 150), crop('coffee_hq.png', 40, 70),
                rng.randint(0, 256, (3, 48, 60)).astype(np.uint8)])
put('input', torch.from_numpy(inp))
img = torch.from_numpy(inp).float() / 255.

torch.manual_seed(25)
with torch.no_grad():
    # ---- filter2D: one kernel per image (anisotropic Gaussian, sinc with negative lobes, plateau), and one shared ----
    k21 = np.stack([
        deg.bivariate_Gaussian(21, 2.7, 0.9, 0.6, isotropic=False),
        deg.circular_lowpass_kernel(1.3, 21, pad_to=0),
        deg.bivariate_plateau(21, 1.8, 1.1, -0.4, 1.5, isotropic=False)]).astype(np.float32)
    k21 = torch.from_numpy(k21)
    k13 = torch.from_numpy(deg.bivariate_generalized_Gaussian(13, 1.7, 1.7, 0, 0.8, isotropic=True)
                           .astype(np.float32)).unsqueeze(0)
    x = img[:, :, :32, :40]
    put('filter.kernels', k21); put('filter.out', ipu.filter2D(x, k21))
    put('filter.shared_kernel', k13); put('filter.shared_out', ipu.filter2D(x, k13))

    # ---- F.interpolate as feed_data calls it: scale_factor (float) and size ----
    x = img[:, :, :20, :26]
    for mode in ('area', 'bilinear', 'bicubic'):
        for s in (0.15, 0.3712, 1.2, 1.4999):
            put(f'resize.{mode}.{s}', F.interpolate(x, scale_factor=s, mode=mode))
        for (h, w) in ((7, 9), (31, 17)):
            put(f'resize_to.{mode}.{h}x{w}', F.interpolate(x, size=(h, w), mode=mode))

    # ---- noise: record the random tensors BasicSR drew ----
    x = img[:, :, :24, :30]
    real_randn, real_poisson, drawn = torch.randn, torch.poisson, []
    def randn(*a, **k):
        t = real_randn(*a, **k); drawn.append(t.clone()); return t
    def poisson(t, *a, **k):
        r = real_poisson(t, *a, **k); drawn.append(r.clone()); return r
    torch.randn, torch.poisson = randn, poisson
    try:
        sigma = torch.tensor([3.5, 21.25, 11.0]); gray = torch.tensor([0., 1., 0.])
        out = deg.add_gaussian_noise_pt(x, sigma=sigma, gray_noise=gray, clip=True, rounds=False)
        assert [tuple(d.shape) for d in drawn] == [(24, 30), (3, 3, 24, 30)]
        put('gauss.sigma', sigma); put('gauss.gray', gray); put('gauss.noise_gray', drawn[0])
        put('gauss.noise', drawn[1]); put('gauss.out', out)
        drawn.clear()
        scale = torch.tensor([0.35, 2.4, 1.1]); gray = torch.tensor([1., 0., 1.])
        out = deg.add_poisson_noise_pt(x, scale=scale, gray_noise=gray, clip=True, rounds=False)
        assert [tuple(d.shape) for d in drawn] == [(3, 1, 24, 30), (3, 3, 24, 30)]
        put('poisson.scale', scale); put('poisson.gray', gray); put('poisson.drawn_gray', drawn[0])
        put('poisson.drawn', drawn[1]); put('poisson.out', out)
        drawn.clear()
        # no image gray: BasicSR skips the gray branch and calls torch.poisson once
        xs = img[:, :, 30:38, 40:50]
        scale = torch.tensor([3.0, 0.05, 0.8]); gray = torch.zeros(3)
        out = deg.add_poisson_noise_pt(xs, scale=scale, gray_noise=gray, clip=True, rounds=False)
        assert [tuple(d.shape) for d in drawn] == [(3, 3, 8, 10)]
        put('poisson_color.scale', scale); put('poisson_color.drawn', drawn[0]); put('poisson_color.out', out)
    finally:
        torch.randn, torch.poisson = real_randn, real_poisson

    # ---- DiffJPEG(differentiable=False), one quality per image ----
    jpeger = dj.DiffJPEG(differentiable=False)
    quality = torch.tensor([30.3, 55.7, 95.0])
    put('jpeg.quality', quality)
    for (h, w) in ((36, 44), (48, 32)):
        put(f'jpeg.out.{h}x{w}', jpeger(img[:, :, :h, :w].contiguous(), quality=quality.clone()))
    put('jpeg.out_q50.48x32', jpeger(img[:, :, :48, :32].contiguous(), quality=50))

    # ---- USMSharp(radius=50, sigma=0) ----
    usm = ipu.USMSharp()
    x = img[:, :, :32, :40]
    put('usm.kernel', usm.kernel)
    put('usm.out', usm(x))
    put('usm.out_w0.8_t5', usm(x, weight=0.8, threshold=5))

# ---- safetensors, written by hand (no safetensors package here) ----
dt = {torch.float32: ('F32', '<f4'), torch.uint8: ('U8', 'u1')}
header, blobs, off = {}, [], 0
for name, t in tensors.items():
    code, npt = dt[t.dtype]
    b = t.numpy().astype(npt).tobytes()
    header[name] = {'dtype': code, 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
    blobs.append(b); off += len(b)
h = json.dumps(header, separators=(',', ':')).encode()
h += b' ' * (-len(h) % 8)
with open(out_path, 'wb') as f:
    f.write(struct.pack('<Q', len(h))); f.write(h)
    for b in blobs: f.write(b)
print('torch', torch.__version__, 'wrote', out_path, os.path.getsize(out_path), 'bytes,', len(tensors), 'tensors')
