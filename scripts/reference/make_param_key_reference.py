#!/usr/bin/env python3
"""Writes tests/SrTrain.Tests/TestData/Training/srvgg_x4_nf8_nc1.params_and_ema.pth: a generator file as BasicSR's
save_network writes it for a model with EMA, {'params': ..., 'params_ema': ...} (torch.save), with different values,
for the test that path.param_key_g picks the entry (BasicSR's param_key_g). 'params' is gan_step_ref.init.g.pth
(Real-ESRGAN's SRVGGNetCompact, 8 features, 1 conv, x4); 'params_ema' is the same with every tensor halved. 40 KB:
the smallest generator the test data already has.
Run: /usr/bin/python3 scripts/reference/make_param_key_reference.py"""
import os

import torch

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'SrTrain.Tests', 'TestData', 'Training')
params = torch.load(os.path.join(out, 'gan_step_ref.init.g.pth'))
params = params.get('params', params)
ema = {k: v * 0.5 for k, v in params.items()}
torch.save({'params': params, 'params_ema': ema}, os.path.join(out, 'srvgg_x4_nf8_nc1.params_and_ema.pth'))
