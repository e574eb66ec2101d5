#!/usr/bin/env python3
"""Writes tests/SrTrain.Tests/TestData/Training/adam_ref.*.f32: torch.optim.Adam on one 5x7 parameter for 6 steps with
given gradients, a learning rate that changes every step (as a schedule sets it) and L2 weight decay. Run with a real
PyTorch (Debian's python3-torch 1.13 made the committed files): /usr/bin/python3 scripts/reference/make_adam_reference.py"""
import os, torch
out = os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'SrTrain.Tests', 'TestData', 'Training')
g = torch.Generator().manual_seed(0)
p0 = torch.randn(5, 7, generator=g)
grads = torch.randn(6, 5, 7, generator=g) * torch.tensor([1.0, 0.1, 10.0, 1.0, 0.01, 1.0]).view(6, 1, 1)
p = torch.nn.Parameter(p0.clone())
opt = torch.optim.Adam([p], lr=1e-2, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01)
after = []
for t in range(6):
    for group in opt.param_groups: group['lr'] = 1e-2 * (1 - 0.1 * t)
    p.grad = grads[t].clone()
    opt.step()
    after.append(p.detach().clone())
for name, t in (('params0', p0), ('grads', grads), ('after', torch.stack(after))):
    t.contiguous().numpy().astype('<f4').tofile(os.path.join(out, f'adam_ref.{name}.f32'))
print('torch', torch.__version__, 'final', after[-1].flatten()[:4].tolist())
