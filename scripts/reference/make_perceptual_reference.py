#!/usr/bin/env python3
"""Writes tests/SrTrain.Tests/TestData/Losses/perceptual_ref.{json,x.u8,gt.u8}: BasicSR's own VGGFeatureExtractor
(basicsr/archs/vgg_arch.py) and PerceptualLoss (basicsr/losses/basic_loss.py), run in PyTorch, on real photo content,
with VGG weights made by a formula that SrTrain's tests regenerate (tests/SrTrain.Tests/Support/VggWeightFiles.cs),
so that no 500 MB of torchvision weights need committing.

Weights: torchvision's vgg16/vgg19 ``features`` layout (features.N.weight / .bias, N the index in ``features``).
Parameter number k counts the state dict's tensors in order (features.0.weight is 0, features.0.bias 1,
features.2.weight 2, ...); element i is the tensor's flat C-order index. An integer hash (exact in any language)
    h = (i * 2654435761 + k * 40503 + seed * 97) mod 2^32;  h ^= h >> 15;  h = h * 2246822519 mod 2^32;  h ^= h >> 13
gives u = h / 2^32 in [0, 1), then, computed in float64 and stored as float32:
    weight: (2u - 1) * sqrt(6 / fan_in)      (fan_in = in_ch * 3 * 3: uniform with He's variance 2 / fan_in)
    bias:   (2u - 1) * 0.05
Inputs: x = 64x64 crops of the bicubic x4 upscales in TestData/Evaluation (chelsea at y 100, x 180; coffee at y 150,
x 250), gt = the same crops of the HQ photos; perceptual_ref.x.u8 / .gt.u8 hold them as uint8 RGB, shape (2, 3, 64, 64),
C order (12 KB each). The batch is u8 / 255 (float32), or that * 2 - 1 for the cases with input_range "-1,1".
Per case the JSON has BasicSR's percep and style losses (null when BasicSR returns None), per requested layer a summary
of x's features (shape, sum, L2 norm, 48 values at flat indices 0, 997, 1994, ... wrapped modulo numel), and the same
summary of d(percep + style)/dx, in float32 (grad_x) and with the network, inputs and loss in float64 (grad_x_f64:
the float32 gradient jumps where an L1 difference or a ReLU input is within rounding of 0, so only float64 pins it down
element by element); summaries rather than whole maps keep the file small (the full maps are megabytes).

torchvision is not needed: a stub ``torchvision.models.vgg`` builds vgg16()/vgg19() the torchvision way (Conv2d 3x3
pad 1, ReLU(inplace=True), MaxPool2d(2, 2)), and VGGFeatureExtractor loads the formula weights from a file through its
own VGG_PRETRAIN_PATH branch (torch.load + load_state_dict).
Run with a real PyTorch (Debian's python3-torch 1.13 made the committed files) and BasicSR's sources extracted:
  git --git-dir=/work/.mirror/XPixelGroup+BasicSR/repo archive HEAD basicsr | tar -x -C /tmp/v-basicsr
  /usr/bin/python3 scripts/reference/make_perceptual_reference.py /tmp/v-basicsr/basicsr"""
import importlib.util
import json
import math
import os
import sys
import tempfile
import types

import cv2
import numpy as np
import torch
from torch import nn

here = os.path.dirname(os.path.abspath(__file__))
test_data = os.path.join(here, '..', '..', 'tests', 'SrTrain.Tests', 'TestData')
out_dir = os.path.join(test_data, 'Losses')
basicsr_dir = sys.argv[1] if len(sys.argv) > 1 else '/tmp/v-basicsr/basicsr'
SEED = 7
STRIDE = 997
SAMPLES = 48

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

CFGS = {
    'vgg16': [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
    'vgg19': [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
}


class VGG(nn.Module):
    """torchvision's VGG, features only (the classifier is not used by VGGFeatureExtractor)."""

    def __init__(self, cfg):
        super().__init__()
        layers, in_ch = [], 3
        for v in cfg:
            if v == 'M':
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(in_ch, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                in_ch = v
        self.features = nn.Sequential(*layers)


def hash_uniform(n, k, seed):
    m = np.uint64(0xFFFFFFFF)
    h = (np.arange(n, dtype=np.uint64) * np.uint64(2654435761) + np.uint64(k * 40503 + seed * 97)) & m
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(2246822519)) & m
    h ^= h >> np.uint64(13)
    return h.astype(np.float64) / 4294967296.0


def formula_state_dict(vgg_type, seed):
    sd = VGG(CFGS[vgg_type]).state_dict()
    out = {}
    for k, (name, t) in enumerate(sd.items()):
        u = hash_uniform(t.numel(), k, seed)
        if name.endswith('.weight'):
            fan_in = t.shape[1] * t.shape[2] * t.shape[3]
            v = (2 * u - 1) * math.sqrt(6.0 / fan_in)
        else:
            v = (2 * u - 1) * 0.05
        out[name] = torch.from_numpy(v.astype(np.float32).reshape(tuple(t.shape)))
    return out


def stub_modules():
    tv = types.ModuleType('torchvision')
    tv_models = types.ModuleType('torchvision.models')
    tv_vgg = types.ModuleType('torchvision.models.vgg')

    def make(vgg_type):
        def build(pretrained=False):
            assert not pretrained, 'the reference must load its weights from VGG_PRETRAIN_PATH'
            return VGG(CFGS[vgg_type])
        return build

    tv_vgg.vgg16, tv_vgg.vgg19 = make('vgg16'), make('vgg19')
    tv.models, tv_models.vgg = tv_models, tv_vgg
    sys.modules.update({'torchvision': tv, 'torchvision.models': tv_models, 'torchvision.models.vgg': tv_vgg})

    class Registry:
        def register(self, obj=None):
            return obj if obj is not None else (lambda o: o)

    basicsr = types.ModuleType('basicsr')
    basicsr.__path__ = [basicsr_dir]
    utils = types.ModuleType('basicsr.utils')
    utils.__path__ = []
    registry = types.ModuleType('basicsr.utils.registry')
    registry.ARCH_REGISTRY = Registry()
    registry.LOSS_REGISTRY = Registry()
    archs = types.ModuleType('basicsr.archs')
    archs.__path__ = [os.path.join(basicsr_dir, 'archs')]
    losses = types.ModuleType('basicsr.losses')
    losses.__path__ = [os.path.join(basicsr_dir, 'losses')]
    sys.modules.update({'basicsr': basicsr, 'basicsr.utils': utils, 'basicsr.utils.registry': registry,
                        'basicsr.archs': archs, 'basicsr.losses': losses})


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def crops():
    ev = os.path.join(test_data, 'Evaluation')
    spots = [('chelsea', 100, 180), ('coffee', 150, 250)]

    def read(name, y, x):
        img = cv2.imread(os.path.join(ev, name), cv2.IMREAD_COLOR)[y:y + 64, x:x + 64, ::-1]  # BGR -> RGB
        return np.ascontiguousarray(img.transpose(2, 0, 1))

    x = np.stack([read(f'{n}_bicubic_up_x4.png', y, xx) for n, y, xx in spots])
    gt = np.stack([read(f'{n}_hq.png', y, xx) for n, y, xx in spots])
    return x, gt


def summary(t):
    flat = t.detach().reshape(-1).double()
    idx = [(j * STRIDE) % flat.numel() for j in range(SAMPLES)]
    return {'shape': list(t.shape), 'sum': flat.sum().item(), 'norm': flat.norm().item(),
            'samples': [flat[j].item() for j in idx]}


CASES = [
    # Real-ESRGAN's train_realesrgan_x4plus.yml perceptual_opt.
    dict(name='realesrgan_vgg19_conv', vgg_type='vgg19',
         layer_weights={'conv1_2': 0.1, 'conv2_2': 0.1, 'conv3_4': 1, 'conv4_4': 1, 'conv5_4': 1},
         use_input_norm=True, range_norm=False, perceptual_weight=1.0, style_weight=0.0, criterion='l1', input_range='0,1'),
    dict(name='vgg19_relu_l2_style_rangenorm', vgg_type='vgg19',
         layer_weights={'relu1_1': 1.0, 'relu2_1': 0.5, 'relu3_1': 0.25, 'relu4_4': 1.0, 'relu5_4': 0.5},
         use_input_norm=False, range_norm=True, perceptual_weight=0.5, style_weight=30.0, criterion='l2', input_range='-1,1'),
    # SrTrain's default layer weights (PerceptualLossConfig.DefaultLayerWeights) with its defaults.
    dict(name='srtrain_default_vgg16', vgg_type='vgg16',
         layer_weights={'relu1_2': 0.1, 'relu2_2': 0.1, 'relu3_3': 1.0, 'relu4_3': 1.0, 'relu5_3': 1.0},
         use_input_norm=True, range_norm=False, perceptual_weight=1.0, style_weight=0.0, criterion='l1', input_range='0,1'),
    dict(name='vgg16_fro_style_pool', vgg_type='vgg16',
         layer_weights={'conv1_1': 1.0, 'relu2_2': 0.3, 'pool3': 1.0, 'conv4_3': 0.5, 'pool5': 0.2},
         use_input_norm=True, range_norm=True, perceptual_weight=0.01, style_weight=2.0, criterion='fro', input_range='-1,1'),
    dict(name='vgg19_style_only_l1', vgg_type='vgg19',
         layer_weights={'relu3_4': 1.0, 'pool4': 0.5},
         use_input_norm=True, range_norm=False, perceptual_weight=0.0, style_weight=50.0, criterion='l1', input_range='0,1'),
]


def main():
    stub_modules()
    vgg_arch = load('basicsr.archs.vgg_arch', os.path.join(basicsr_dir, 'archs', 'vgg_arch.py'))
    load('basicsr.losses.loss_util', os.path.join(basicsr_dir, 'losses', 'loss_util.py'))
    basic_loss = load('basicsr.losses.basic_loss', os.path.join(basicsr_dir, 'losses', 'basic_loss.py'))

    x_u8, gt_u8 = crops()
    os.makedirs(out_dir, exist_ok=True)
    x_u8.tofile(os.path.join(out_dir, 'perceptual_ref.x.u8'))
    gt_u8.tofile(os.path.join(out_dir, 'perceptual_ref.gt.u8'))

    tmp = tempfile.mkdtemp()
    results = []
    for case in CASES:
        weights = os.path.join(tmp, case['vgg_type'] + '.pth')
        torch.save(formula_state_dict(case['vgg_type'], SEED), weights)
        vgg_arch.VGG_PRETRAIN_PATH = weights
        loss = basic_loss.PerceptualLoss(case['layer_weights'], vgg_type=case['vgg_type'],
                                         use_input_norm=case['use_input_norm'], range_norm=case['range_norm'],
                                         perceptual_weight=case['perceptual_weight'], style_weight=case['style_weight'],
                                         criterion=case['criterion'])
        grads = {}
        for dtype, key in ((torch.float32, 'grad_x'), (torch.float64, 'grad_x_f64')):
            loss.to(dtype)
            x = torch.from_numpy(x_u8).to(dtype) / 255
            gt = torch.from_numpy(gt_u8).to(dtype) / 255
            if case['input_range'] == '-1,1':
                x, gt = x * 2 - 1, gt * 2 - 1
            x.requires_grad_(True)
            if dtype == torch.float32:
                features = loss.vgg(x)
            percep, style = loss(x, gt)
            if dtype == torch.float32:
                values = percep, style
            total = sum(t for t in (percep, style) if t is not None)
            total.backward()
            grads[key] = summary(x.grad)
        percep, style = values
        results.append(dict(case,
                            percep=None if percep is None else percep.item(),
                            style=None if style is None else style.item(),
                            features={k: summary(v) for k, v in features.items()},
                            **grads))
        print(case['name'], results[-1]['percep'], results[-1]['style'])

    with open(os.path.join(out_dir, 'perceptual_ref.json'), 'w') as f:
        json.dump({'seed': SEED, 'stride': STRIDE, 'samples': SAMPLES, 'cases': results}, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
