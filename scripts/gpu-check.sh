#!/usr/bin/env bash
# Checks every srtrain command on a CUDA GPU, with the libtorch of an installed PyTorch, in about 5 minutes.
#
#   scripts/gpu-check.sh --publish   (on any Linux x64 machine with the .NET SDK) builds a self-contained srtrain with
#                                    -p:TorchBackend=external (no libtorch, no debug files) into .gpu/srtrain.tar.xz
#   scripts/gpu-check.sh             (on the GPU machine, from the repository root) unpacks .gpu/srtrain.tar.xz if no
#                                    srtrain is given, then runs the checks; one summary line per check, "gpu-check:
#                                    N passed, N failed" last, and exits non-zero if any failed
#
# Environment: SRTRAIN (a srtrain binary to use instead; then libtorch is whatever that build uses), PYTHON (default
# python3, the one with PyTorch), OUT (folder for logs, reports and images; default .gpu/out), DEVICE (default cuda;
# cpu runs the same checks on the CPU as a dry run, with the cpu-small bench preset), GPU_CHECK_QUICK_STEPS (default
# 1100), GPU_CHECK_ESRGAN_STEPS (default 200), GPU_CHECK_BENCH_STEPS (default 30), GPU_CHECK_SKIP_SPEED (set: no
# speed comparison), TORCH_LIB (the libtorch folder srtrain loads; default PYTHON's torch/lib).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ "${1:-}" == "--publish" ]]; then
  set -e
  rm -rf .gpu/srtrain .gpu/srtrain.tar.xz
  dotnet publish src/SrTrain.Cli/SrTrain.Cli.csproj -c Release -r linux-x64 --self-contained \
    -p:TorchBackend=external -p:DebugType=none -o .gpu/srtrain -nologo -v quiet
  # Debugger support and crash dumps are not needed to run; they are a quarter of the size.
  rm -f .gpu/srtrain/libmscordaccore.so .gpu/srtrain/libmscordbi.so .gpu/srtrain/createdump .gpu/srtrain/*.pdb .gpu/srtrain/*.dbg
  tar -C .gpu -cf - srtrain | xz -T0 -6 > .gpu/srtrain.tar.xz
  echo "published: .gpu/srtrain.tar.xz ($(du -h .gpu/srtrain.tar.xz | cut -f1))"
  exit 0
fi

PYTHON="${PYTHON:-python3}"
OUT="${OUT:-$root/.gpu/out}"
mkdir -p "$OUT"
work="$(mktemp -d)"
quick_steps="${GPU_CHECK_QUICK_STEPS:-1100}"
esrgan_steps="${GPU_CHECK_ESRGAN_STEPS:-200}"
bench_steps="${GPU_CHECK_BENCH_STEPS:-30}"
DEVICE="${DEVICE:-cuda}"
preset=esrgan; [[ "$DEVICE" == cpu ]] && preset=cpu-small
passed=0 failed=0

source scripts/gpu-env.sh
if [[ -z "${SRTRAIN:-}" ]]; then
  unpack_srtrain "$work"
  SRTRAIN="$work/srtrain/srtrain"
  use_torch_lib
fi
runs="$work/runs"

summary() { grep -E "Validation at|median_ms|Upscaled|mean +model|Report|report.md" "$OUT/$1.log" | tail -n 1 | sed 's/^.*\] //' | cut -c1-220; }
st() { "$SRTRAIN" "$@" --device "$DEVICE"; }

echo "gpu-check: $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | head -1), torch $("$PYTHON" -c 'import torch; print(torch.__version__)'), srtrain $SRTRAIN"

# A torchvision-layout VGG-16 with random weights stands in for the ImageNet file (which cannot be downloaded here):
# it exercises the same code, not the same loss values.
"$PYTHON" - "$work/vgg16-random.pth" <<'EOF'
import sys, torch, torch.nn as nn
torch.manual_seed(0)
cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M']
layers, c = [], 3
for v in cfg:
    if v == 'M': layers.append(nn.MaxPool2d(2, 2))
    else: layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]; c = v
torch.save({f'features.{k}': t for k, t in nn.Sequential(*layers).state_dict().items()}, sys.argv[1])
EOF

# 1. The quickstart on CUDA (SRVGGNetCompact, UNet discriminator, pixel → GAN → translational).
# Checkpoints at each quarter (the quickstart's 400/800 become 275/550/825 at 1100 steps).
q=$((quick_steps / 4))
sed -e "s/total_steps: 1100/total_steps: $quick_steps/; s/save_freq: 400/save_freq: $q/" configs/quickstart.yaml > "$work/quick.yaml"
printf 'runs_dir: %s\n' "$runs" >> "$work/quick.yaml"
check quickstart st train --config "$work/quick.yaml" --name gpu-quick

# 2. ESRGAN-size: RRDBNet 64/23/32, VGG-style D 64 at 128, batch 16, every loss (the translational term from half way).
# The CPU dry run shrinks the networks (same code, minutes less).
read -r g_feat g_blocks g_grow d_feat batch <<< "64 23 32 64 16"
[[ "$DEVICE" == cpu ]] && read -r g_feat g_blocks g_grow d_feat batch <<< "16 1 8 8 2"
cat > "$work/esrgan.yaml" <<EOF
name: gpu-esrgan
scale: 4
runs_dir: $runs
datasets:
  train: {dataroot_gt: datasets/sample/train, gt_size: 128, batch_size: $batch, num_workers: 4, cache_images: true}
  val: {dataroot_gt: datasets/sample/val}
network_g: {type: RRDBNet, num_feat: $g_feat, num_block: $g_blocks, num_grow_ch: $g_grow}
network_d: {type: VGGStyleDiscriminator, num_feat: $d_feat}
path: {vgg16: $work/vgg16-random.pth}
losses:
  pixel: {weight: 0.01}
  perceptual: {weight: 1.0}
  gan: {type: RaGAN, weight: 0.005, start_step: 0}
  translational: {weight: 1.0, shift: 4, start_step: $((esrgan_steps / 2))}
train:
  total_steps: $esrgan_steps
  grad_clip: 1.0
val: {val_freq: $((esrgan_steps / 2))}
logger: {print_freq: 50}
checkpoint: {save_freq: $((esrgan_steps / 2))}
EOF
check esrgan-every-loss st train --config "$work/esrgan.yaml"

# 3. Resume and branch on CUDA: a branch from the middle with the translational term switched on there.
half=$((esrgan_steps / 2))
check esrgan-branch-translational st resume --run "$runs/gpu-esrgan" --from "$half" --translational --name gpu-esrgan-branch
# The quickstart from its half-way checkpoint, on the GPU again (exact resume, as a branch so the parent stays).
check quickstart-resume-cuda st resume --run "$runs/gpu-quick" --from $((2 * q)) --name gpu-quick-resumed
# Across devices: the GPU checkpoint continues on the CPU ...
printf 'train: {total_steps: %d}\n' $((3 * q + 20)) > "$work/shorter.yaml"
check resume-gpu-to-cpu "$SRTRAIN" resume --run "$runs/gpu-quick" --from $((3 * q)) --config "$work/shorter.yaml" --name gpu-quick-on-cpu --device cpu
# ... and a CPU checkpoint continues on the GPU.
sed -e "s/total_steps: $quick_steps/total_steps: 40/; s/save_freq: $q/save_freq: 20/; s/val_freq: 400/val_freq: 40/" "$work/quick.yaml" > "$work/cpu.yaml"
check train-cpu-for-gpu "$SRTRAIN" train --config "$work/cpu.yaml" --name cpu-run --device cpu
check resume-cpu-to-gpu st resume --run "$runs/cpu-run" --from 20 --name cpu-run-on-gpu

# 4. Upscale (whole image and tiled) and eval with the ESRGAN run's EMA generator.
check upscale st upscale datasets/sample/val --model "$runs/gpu-esrgan" -o "$OUT/upscaled"
check upscale-tiled st upscale datasets/sample/val/chelsea.png --model "$runs/gpu-esrgan" -o "$OUT/upscaled-tiled" --tile 64
check upscale-half-outscale st upscale datasets/sample/val/chelsea.png --model "$runs/gpu-esrgan" -o "$OUT/upscaled-half" --half -s 3.5
check eval st eval --model "$runs/gpu-esrgan" --data datasets/sample/val --vgg16 "$work/vgg16-random.pth"
check report "$SRTRAIN" report "$runs/gpu-quick" "$runs/gpu-quick-resumed" -o "$OUT/report"

# 5. Speed against PyTorch on the same GPU (the esrgan preset, op for op scripts/peer_srgan_gpu.py).
if [[ -n "${GPU_CHECK_SKIP_SPEED:-}" ]]; then
  echo "gpu-check: $passed passed, $failed failed (speed comparison skipped: GPU_CHECK_SKIP_SPEED)"
  [[ $failed -eq 0 ]]; exit
fi
peer() { "$PYTHON" scripts/peer_srgan_gpu.py --preset "$preset" --device "$DEVICE" --steps "$bench_steps" "$@"; }
check peer-default peer
check peer-best peer --channels-last --cudnn-benchmark
check peer-best-translational peer --channels-last --cudnn-benchmark --translational
check peer-infer-best peer --channels-last --cudnn-benchmark --infer
check bench st bench --preset "$preset" --steps "$bench_steps" --warmup 3
check bench-translational st bench --preset "$preset" --translational --steps "$bench_steps" --warmup 3
check bench-infer st bench --preset "$preset" --infer --steps "$bench_steps" --warmup 3
for f in peer-default peer-best peer-best-translational peer-infer-best bench bench-translational bench-infer; do
  printf '%-26s %s\n' "$f" "$(grep -o 'median_ms [0-9.]*' "$OUT/$f.log" | head -1)"
done | tee "$OUT/speed.txt"
cp -r "$runs/gpu-esrgan/val_images" "$OUT/esrgan-val-images" 2>/dev/null
grep -h '"val"' "$runs"/*/metrics.jsonl > "$OUT/val-metrics.jsonl" 2>/dev/null

echo "gpu-check: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
