#!/usr/bin/env python3
"""Writes tests/SrTrain.Tests/TestData/Training/gan_step_ref.*: two training steps of BasicSR's SRGANModel (vanilla,
lsgan, hinge; Real-ESRGAN's RealESRGANModel calls the discriminator the same way) and ESRGANModel (RaGAN), copied
from BasicSR's optimize_parameters, with Real-ESRGAN's SRVGGNetCompact (nf 8, 1 conv, x4) and UNetDiscriminatorSN
(nf 4, spectral norm through torch.nn.utils.spectral_norm: one power iteration per training forward), pixel L1
weight 1, GAN weight 0.1, Adam lr 1e-3, betas (0.9, 0.99), L2 weight decay 0.01 for both networks.

Files: gan_step_ref.init.g.pth / .init.d.pth (the seeded initial weights, u and v included), gan_step_ref.batches.f32
(lq0, hq0, lq1, hq1: 2x3x8x8 and 2x3x32x32, float32 little-endian, C order), and per GAN type
gan_step_ref.<type>.g.pth / .d.pth (after the two steps) and gan_step_ref.<type>.losses.f32 (per step: l_g_gan,
l_d_real + l_d_fake, out_d_real, out_d_fake).
Run with a real PyTorch (Debian's python3-torch 1.13 made the committed files):
/usr/bin/python3 scripts/reference/make_gan_step_reference.py"""
import os

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import spectral_norm

out_dir = os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'SrTrain.Tests', 'TestData', 'Training')
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


class SRVGGNetCompact(nn.Module):
    """Real-ESRGAN's realesrgan/archs/srvgg_arch.py with act_type prelu (BSD-3-Clause, Xintao Wang)."""

    def __init__(self, num_in_ch=3, num_out_ch=3, num_feat=64, num_conv=16, upscale=4):
        super().__init__()
        self.upscale = upscale
        self.body = nn.ModuleList()
        self.body.append(nn.Conv2d(num_in_ch, num_feat, 3, 1, 1))
        self.body.append(nn.PReLU(num_parameters=num_feat))
        for _ in range(num_conv):
            self.body.append(nn.Conv2d(num_feat, num_feat, 3, 1, 1))
            self.body.append(nn.PReLU(num_parameters=num_feat))
        self.body.append(nn.Conv2d(num_feat, num_out_ch * upscale * upscale, 3, 1, 1))
        self.upsampler = nn.PixelShuffle(upscale)

    def forward(self, x):
        out = x
        for layer in self.body:
            out = layer(out)
        out = self.upsampler(out)
        out += F.interpolate(x, scale_factor=self.upscale, mode='nearest')
        return out


class UNetDiscriminatorSN(nn.Module):
    """BasicSR's basicsr/archs/discriminator_arch.py (Apache-2.0), skip connections on."""

    def __init__(self, num_in_ch, num_feat=64):
        super().__init__()
        norm = spectral_norm
        self.conv0 = nn.Conv2d(num_in_ch, num_feat, kernel_size=3, stride=1, padding=1)
        self.conv1 = norm(nn.Conv2d(num_feat, num_feat * 2, 4, 2, 1, bias=False))
        self.conv2 = norm(nn.Conv2d(num_feat * 2, num_feat * 4, 4, 2, 1, bias=False))
        self.conv3 = norm(nn.Conv2d(num_feat * 4, num_feat * 8, 4, 2, 1, bias=False))
        self.conv4 = norm(nn.Conv2d(num_feat * 8, num_feat * 4, 3, 1, 1, bias=False))
        self.conv5 = norm(nn.Conv2d(num_feat * 4, num_feat * 2, 3, 1, 1, bias=False))
        self.conv6 = norm(nn.Conv2d(num_feat * 2, num_feat, 3, 1, 1, bias=False))
        self.conv7 = norm(nn.Conv2d(num_feat, num_feat, 3, 1, 1, bias=False))
        self.conv8 = norm(nn.Conv2d(num_feat, num_feat, 3, 1, 1, bias=False))
        self.conv9 = nn.Conv2d(num_feat, 1, 3, 1, 1)

    def forward(self, x):
        x0 = F.leaky_relu(self.conv0(x), negative_slope=0.2, inplace=True)
        x1 = F.leaky_relu(self.conv1(x0), negative_slope=0.2, inplace=True)
        x2 = F.leaky_relu(self.conv2(x1), negative_slope=0.2, inplace=True)
        x3 = F.leaky_relu(self.conv3(x2), negative_slope=0.2, inplace=True)
        x3 = F.interpolate(x3, scale_factor=2, mode='bilinear', align_corners=False)
        x4 = F.leaky_relu(self.conv4(x3), negative_slope=0.2, inplace=True)
        x4 = x4 + x2
        x4 = F.interpolate(x4, scale_factor=2, mode='bilinear', align_corners=False)
        x5 = F.leaky_relu(self.conv5(x4), negative_slope=0.2, inplace=True)
        x5 = x5 + x1
        x5 = F.interpolate(x5, scale_factor=2, mode='bilinear', align_corners=False)
        x6 = F.leaky_relu(self.conv6(x5), negative_slope=0.2, inplace=True)
        x6 = x6 + x0
        out = F.leaky_relu(self.conv7(x6), negative_slope=0.2, inplace=True)
        out = F.leaky_relu(self.conv8(out), negative_slope=0.2, inplace=True)
        return self.conv9(out)


class GANLoss(nn.Module):
    """BasicSR's basicsr/losses/gan_loss.py GANLoss for vanilla, lsgan and hinge (labels 1 and 0)."""

    def __init__(self, gan_type, loss_weight):
        super().__init__()
        self.gan_type = gan_type
        self.loss_weight = loss_weight
        self.loss = {'vanilla': nn.BCEWithLogitsLoss(), 'lsgan': nn.MSELoss(), 'hinge': nn.ReLU()}[gan_type]

    def forward(self, input, target_is_real, is_disc=False):
        if self.gan_type == 'hinge':
            if is_disc:
                input = -input if target_is_real else input
                loss = self.loss(1 + input).mean()
            else:
                loss = -input.mean()
        else:
            target = input.new_ones(input.size()) * (1.0 if target_is_real else 0.0)
            loss = self.loss(input, target)
        return loss if is_disc else loss * self.loss_weight


def srgan_step(net_g, net_d, opt_g, opt_d, cri_pix, cri_gan, lq, gt):
    """BasicSR's SRGANModel.optimize_parameters (net_d_iters 1, net_d_init_iters 0)."""
    for p in net_d.parameters():
        p.requires_grad = False
    opt_g.zero_grad()
    output = net_g(lq)
    l_g_total = 0
    l_g_total += cri_pix(output, gt)
    fake_g_pred = net_d(output)
    l_g_gan = cri_gan(fake_g_pred, True, is_disc=False)
    l_g_total += l_g_gan
    l_g_total.backward()
    opt_g.step()
    for p in net_d.parameters():
        p.requires_grad = True
    opt_d.zero_grad()
    real_d_pred = net_d(gt)
    l_d_real = cri_gan(real_d_pred, True, is_disc=True)
    l_d_real.backward()
    fake_d_pred = net_d(output.detach())
    l_d_fake = cri_gan(fake_d_pred, False, is_disc=True)
    l_d_fake.backward()
    opt_d.step()
    return [l_g_gan.item(), (l_d_real + l_d_fake).item(), real_d_pred.mean().item(), fake_d_pred.mean().item()]


def esrgan_step(net_g, net_d, opt_g, opt_d, cri_pix, cri_gan, lq, gt):
    """BasicSR's ESRGANModel.optimize_parameters (relativistic average GAN on a vanilla GANLoss)."""
    for p in net_d.parameters():
        p.requires_grad = False
    opt_g.zero_grad()
    output = net_g(lq)
    l_g_total = 0
    l_g_total += cri_pix(output, gt)
    real_d_pred = net_d(gt).detach()
    fake_g_pred = net_d(output)
    l_g_real = cri_gan(real_d_pred - torch.mean(fake_g_pred), False, is_disc=False)
    l_g_fake = cri_gan(fake_g_pred - torch.mean(real_d_pred), True, is_disc=False)
    l_g_gan = (l_g_real + l_g_fake) / 2
    l_g_total += l_g_gan
    l_g_total.backward()
    opt_g.step()
    for p in net_d.parameters():
        p.requires_grad = True
    opt_d.zero_grad()
    fake_d_pred = net_d(output).detach()
    real_d_pred = net_d(gt)
    l_d_real = cri_gan(real_d_pred - torch.mean(fake_d_pred), True, is_disc=True) * 0.5
    l_d_real.backward()
    fake_d_pred = net_d(output.detach())
    l_d_fake = cri_gan(fake_d_pred - torch.mean(real_d_pred.detach()), False, is_disc=True) * 0.5
    l_d_fake.backward()
    opt_d.step()
    return [l_g_gan.item(), (l_d_real + l_d_fake).item(), real_d_pred.mean().item(), fake_d_pred.mean().item()]


def save_f32(name, tensors):
    torch.cat([t.reshape(-1) for t in tensors]).contiguous().numpy().astype('<f4').tofile(os.path.join(out_dir, name))


torch.manual_seed(0)
g0 = SRVGGNetCompact(3, 3, num_feat=8, num_conv=1, upscale=4).state_dict()
d0 = UNetDiscriminatorSN(3, num_feat=4).state_dict()
gen = torch.Generator().manual_seed(1)
batches = [(torch.rand(2, 3, 8, 8, generator=gen), torch.rand(2, 3, 32, 32, generator=gen)) for _ in range(2)]
torch.save(g0, os.path.join(out_dir, 'gan_step_ref.init.g.pth'))
torch.save(d0, os.path.join(out_dir, 'gan_step_ref.init.d.pth'))
save_f32('gan_step_ref.batches.f32', [t for b in batches for t in b])

for name, gan_type, step in (('vanilla', 'vanilla', srgan_step), ('lsgan', 'lsgan', srgan_step),
                             ('hinge', 'hinge', srgan_step), ('ragan', 'vanilla', esrgan_step)):
    net_g = SRVGGNetCompact(3, 3, num_feat=8, num_conv=1, upscale=4)
    net_d = UNetDiscriminatorSN(3, num_feat=4)
    net_g.load_state_dict(g0)
    net_d.load_state_dict(d0)
    net_g.train()
    net_d.train()
    opt_g = torch.optim.Adam(net_g.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.01)
    opt_d = torch.optim.Adam(net_d.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.01)
    cri_pix = nn.L1Loss()
    cri_gan = GANLoss(gan_type, loss_weight=0.1)
    losses = [step(net_g, net_d, opt_g, opt_d, cri_pix, cri_gan, lq, gt) for lq, gt in batches]
    torch.save(net_g.state_dict(), os.path.join(out_dir, f'gan_step_ref.{name}.g.pth'))
    torch.save(net_d.state_dict(), os.path.join(out_dir, f'gan_step_ref.{name}.d.pth'))
    save_f32(f'gan_step_ref.{name}.losses.f32', [torch.tensor(l) for l in losses])
    print('torch', torch.__version__, name, losses)
