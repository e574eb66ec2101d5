"""Loads single BasicSR / Real-ESRGAN module files without running basicsr/__init__.py (which imports every arch,
model and dataset). Shared by the make_realesrgan_*.py fixture scripts; development time only."""
import importlib.util, os, sys, types

BASICSR = os.environ.get('BASICSR_SRC', '/tmp/k-basicsr')      # git archive HEAD basicsr | tar -x -C /tmp/k-basicsr
REALESRGAN = os.environ.get('REALESRGAN_SRC', '/tmp/k-resr')   # git archive HEAD | tar -x -C /tmp/k-resr


def _package(name):
    if name not in sys.modules:
        m = types.ModuleType(name)
        m.__path__ = []
        sys.modules[name] = m
    return sys.modules[name]


def load(name, path):
    parts = name.split('.')
    for i in range(1, len(parts)):
        _package('.'.join(parts[:i]))
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    sys.modules[name] = m
    spec.loader.exec_module(m)
    setattr(sys.modules['.'.join(parts[:-1])], parts[-1], m)
    return m


def stub(name, **attrs):
    parts = name.split('.')
    for i in range(1, len(parts)):
        _package('.'.join(parts[:i]))
    m = _package(name)
    for k, v in attrs.items():
        setattr(m, k, v)
    if len(parts) > 1:
        setattr(sys.modules['.'.join(parts[:-1])], parts[-1], m)
    return m


def degradations():
    """basicsr/data/degradations.py (torchvision, absent here, is only used by the gray-noise helpers: stubbed)."""
    if 'basicsr.data.degradations' in sys.modules:
        return sys.modules['basicsr.data.degradations']
    stub('torchvision.transforms.functional', rgb_to_grayscale=lambda *a, **k: None)
    return load('basicsr.data.degradations', os.path.join(BASICSR, 'basicsr', 'data', 'degradations.py'))


def transforms():
    if 'basicsr.data.transforms' in sys.modules:
        return sys.modules['basicsr.data.transforms']
    return load('basicsr.data.transforms', os.path.join(BASICSR, 'basicsr', 'data', 'transforms.py'))
