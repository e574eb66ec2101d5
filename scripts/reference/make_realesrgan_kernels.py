#!/usr/bin/env python3
"""Writes tests/SrTrain.Tests/TestData/Degradation/kernels.{csv,f64.gz} and bessel_j1.f64: BasicSR's own blur kernels
(basicsr/data/degradations.py) for draws covering every kernel type and every size 7..21, and scipy.special.j1 on a
grid. Gaussian-family kernels come from random_mixed_kernels itself (seeded, with x4plus ranges), its parameters read
off by wrapping bivariate_*; sinc kernels from circular_lowpass_kernel(omega, size, pad_to=False) + np.pad as
RealESRGANDataset does (and pad_to=21 for the final sinc). kernels.csv: one draw a line (type,size,sigma_x,sigma_y,
rotation,beta,omega_c, repr doubles); kernels.f64.gz: the 21x21 float64 kernels, row-major, little-endian.
Made with /usr/bin/python3 (numpy 1.24, scipy 1.10): python3 scripts/reference/make_realesrgan_kernels.py"""
import gzip, math, os, random, sys
import numpy as np
import scipy, scipy.special
sys.path.insert(0, os.path.dirname(__file__))
import basicsr_stubs

deg = basicsr_stubs.degradations()
out = os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'SrTrain.Tests', 'TestData', 'Degradation')

recorded = []
for fname, beta_arg in (('bivariate_Gaussian', False), ('bivariate_generalized_Gaussian', True), ('bivariate_plateau', True)):
    real = getattr(deg, fname)

    def wrapper(kernel_size, sig_x, sig_y, theta, *rest, _real=real, _fname=fname, _beta=beta_arg, **kw):
        beta = rest[0] if _beta and rest else kw.get('beta', 0.0)
        iso = kw.get('isotropic', True)
        kind = {'bivariate_Gaussian': 'iso', 'bivariate_generalized_Gaussian': 'generalized_iso',
                'bivariate_plateau': 'plateau_iso'}[_fname]
        if not iso:
            kind = kind.replace('iso', 'aniso')
        recorded.append((kind, kernel_size, sig_x, sig_y if not iso else sig_x, theta if not iso else 0.0,
                         beta if _beta else 0.0))
        return _real(kernel_size, sig_x, sig_y, theta, *rest, **kw)
    setattr(deg, fname, wrapper)

random.seed(25)
np.random.seed(25)
kinds = ['iso', 'aniso', 'generalized_iso', 'generalized_aniso', 'plateau_iso', 'plateau_aniso']
rows, kernels = [], []


def add(row, kernel):
    assert kernel.shape == (21, 21) and kernel.dtype == np.float64
    rows.append(row)
    kernels.append(kernel)


for rep, (sig_range, betag, betap) in enumerate((([0.2, 3], [0.5, 4], [1, 2]), ([0.2, 1.5], [0.5, 4], [1, 2]))):
    for size in range(7, 22, 2):
        for kind in kinds:
            recorded.clear()
            k = deg.random_mixed_kernels([kind], [1.0], size, sig_range, sig_range, [-math.pi, math.pi], betag, betap,
                                         noise_range=None)
            (kk, ks, sx, sy, th, beta), = recorded
            assert kk == kind and ks == size
            pad = (21 - size) // 2
            add((kind, size, sx, sy, th, beta, 0.0), np.pad(k, ((pad, pad), (pad, pad))))
        omega = np.random.uniform(np.pi / 3, np.pi) if size < 13 else np.random.uniform(np.pi / 5, np.pi)
        k = deg.circular_lowpass_kernel(omega, size, pad_to=False)
        pad = (21 - size) // 2
        add(('sinc', size, 0.0, 0.0, 0.0, 0.0, omega), np.pad(k, ((pad, pad), (pad, pad))))
        # the final sinc: pad_to=21
        omega = np.random.uniform(np.pi / 3, np.pi)
        add(('sinc', size, 0.0, 0.0, 0.0, 0.0, omega), deg.circular_lowpass_kernel(omega, size, pad_to=21))
# edges of the ranges: the narrowest and widest sigma, extreme betas and rotations, the largest cutoff
for kind, sx, sy, th, beta in (('iso', 0.2, 0.2, 0.0, 0.0), ('aniso', 0.2, 3.0, math.pi, 0.0), ('aniso', 3.0, 0.2, -math.pi / 2, 0.0),
                               ('generalized_iso', 3.0, 3.0, 0.0, 0.5), ('generalized_aniso', 0.2, 3.0, 1.0, 4.0),
                               ('plateau_iso', 0.2, 0.2, 0.0, 2.0), ('plateau_aniso', 3.0, 0.25, -3.0, 1.0)):
    iso = 'aniso' not in kind
    f = {'iso': deg.bivariate_Gaussian, 'aniso': deg.bivariate_Gaussian}.get(kind)
    recorded.clear()
    if f is not None:
        k = f(21, sx, sy, th, isotropic=iso)
    elif kind.startswith('generalized'):
        k = deg.bivariate_generalized_Gaussian(21, sx, sy, th, beta, isotropic=iso)
    else:
        k = deg.bivariate_plateau(21, sx, sy, th, beta, isotropic=iso)
    k = k / np.sum(k)   # random_bivariate_* normalise once more
    add((kind, 21, sx, sy if not iso else sx, th if not iso else 0.0, beta, 0.0), k)
for size in (7, 21):
    add(('sinc', size, 0.0, 0.0, 0.0, 0.0, np.pi), deg.circular_lowpass_kernel(np.pi, size, pad_to=21))

with open(os.path.join(out, 'kernels.csv'), 'w') as f:
    f.write('type,size,sigma_x,sigma_y,rotation,beta,omega_c\n')
    for r in rows:
        f.write(','.join([r[0], str(r[1])] + [repr(float(v)) for v in r[2:]]) + '\n')
with gzip.GzipFile(os.path.join(out, 'kernels.f64.gz'), 'wb', mtime=0) as f:
    f.write(np.stack(kernels).astype('<f8').tobytes())

x = np.linspace(0, 50, 5001)
np.stack([x, scipy.special.j1(x)], 1).astype('<f8').tofile(os.path.join(out, 'bessel_j1.f64'))
print(len(rows), 'kernels; numpy', np.__version__, 'scipy', scipy.__version__)
