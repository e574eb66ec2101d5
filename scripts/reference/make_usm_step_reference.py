#!/usr/bin/env python3
"""Writes tests/SrTrain.Tests/TestData/Training/usm_ref.*: a GT batch and what BasicSR's USMSharp (radius 50, sigma 0,
weight 0.5, threshold 10: what RealESRNetModel and RealESRGANModel build) makes of it, for the test that the losses
flagged gt_usm compare with the sharpened GT (RealESRGANModel.optimize_parameters' l1_gt, percep_gt, gan_gt).

USMSharp and filter2D are run from BasicSR's own basicsr/utils/img_process_util.py (loaded alone, without
basicsr/__init__.py). The GT is 2 crops of 64x64 from TestData/Data/chelsea_hq.png and coffee_hq.png (real photos: USM's
mask depends on edges), float32 little-endian, C order, (2, 3, 64, 64): 98 KB per file. 64 px is the smallest size
that keeps the x4 LQ at 16 px and lets filter2D reflect-pad its 51-tap kernel.
Files: usm_ref.gt.f32, usm_ref.gt_usm.f32.
Run with a real PyTorch and BasicSR's sources (Debian's python3-torch 1.13 and cv2 4.6 made the committed files):
git --git-dir=/work/.mirror/XPixelGroup+BasicSR/repo archive HEAD basicsr | tar -x -C /tmp/c-basicsr
/usr/bin/python3 scripts/reference/make_usm_step_reference.py /tmp/c-basicsr/basicsr/utils/img_process_util.py"""
import importlib.util
import os
import sys

import cv2
import numpy as np
import torch

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'SrTrain.Tests', 'TestData')
spec = importlib.util.spec_from_file_location('img_process_util', sys.argv[1])
ipu = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ipu)

crops = []
for name, (y, x) in (('chelsea_hq.png', (40, 100)), ('coffee_hq.png', (60, 120))):
    img = cv2.imread(os.path.join(root, 'Data', name), cv2.IMREAD_COLOR)[:, :, ::-1]  # RGB, as BasicSR's img2tensor
    crops.append(img[y:y + 64, x:x + 64].astype(np.float32) / 255.)
gt = torch.from_numpy(np.stack(crops).transpose(0, 3, 1, 2).copy())
with torch.no_grad():
    gt_usm = ipu.USMSharp()(gt)
out = os.path.join(root, 'Training')
gt.numpy().astype('<f4').tofile(os.path.join(out, 'usm_ref.gt.f32'))
gt_usm.numpy().astype('<f4').tofile(os.path.join(out, 'usm_ref.gt_usm.f32'))
print('mean |gt_usm - gt| =', (gt_usm - gt).abs().mean().item())
