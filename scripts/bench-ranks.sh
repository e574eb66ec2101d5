#!/usr/bin/env bash
# Data-parallel throughput on this machine: the quickstart's networks in their most expensive phase (pixel + GAN +
# translational from step 0, global batch 8), trained for STEPS steps by 1 process × 2 threads and by
# `mpirun -np 2` × 1 thread (batch 4 each), alternately for ROUNDS rounds. Prints the training it/s of each (from
# metrics.jsonl: the last 50 steps, start-up and the final validation excluded), the ratio, and the load average.
# OMP_WAIT_POLICY is PASSIVE unless set: on a machine shared with other work, libtorch's OpenMP threads otherwise
# spin at every barrier and a 2-thread process collapses, which would flatter the ranks.
# Usage: scripts/bench-ranks.sh [ROUNDS] [STEPS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-3}"
steps="${2:-80}"
"$root/scripts/srtrain" --version >/dev/null
bin="$root/src/SrTrain.Cli/bin/Release/net10.0/srtrain"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/bench.yaml" <<YAML
name: bench
scale: 4
seed: 0
runs_dir: $work/runs
datasets:
  train: {dataroot_gt: $root/datasets/sample/train, gt_size: 96, batch_size: 8, num_workers: 1, cache_images: true}
network_g: {type: SRVGGNetCompact, num_feat: 32, num_block: 8}
network_d: {type: UNetDiscriminatorSN, num_feat: 8}
losses:
  pixel: {weight: 1.0}
  gan: {type: Vanilla, weight: 0.005, start_step: 0}
  translational: {weight: 1.0, shift: 4, start_step: 0}
train: {total_steps: $steps, optim_g: {lr: 1.0e-3}, optim_d: {lr: 1.0e-4}}
val: {val_freq: 0}
logger: {print_freq: $steps, use_tensorboard: false}
checkpoint: {save_freq: 100000}
YAML
itps() { python3 -c "import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if '\"train\"' in l][-1]['it_per_s'])" "$1/metrics.jsonl"; }
echo "round  load  1x2-threads it/s  2-ranks-x1 it/s  ratio"
for r in $(seq 1 "$rounds"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  "$bin" train --config "$work/bench.yaml" --name "one$r" --threads 2 --device cpu --log-level warning
  a=$(itps "$work/runs/one$r")
  mpirun -np 2 --oversubscribe --bind-to none "$bin" train --config "$work/bench.yaml" --name "two$r" --threads 1 --device cpu --log-level warning
  b=$(itps "$work/runs/two$r")
  python3 -c "print(f'{$r:5d} {float(\"$load\"):5.1f} {$a:17.2f} {$b:16.2f}  {$b/$a:5.2f}')"
done
