#!/usr/bin/env bash
# Second GPU check (after scripts/gpu-check.sh): the training parts under constant garbage collection on CUDA, and the
# NCCL gradient path with one rank on one GPU. Same environment as gpu-check.sh (.gpu/srtrain.tar.xz, PYTHON, OUT).
# Prints one line per check and "gpu-soak: N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
PYTHON="${PYTHON:-python3}"
OUT="${OUT:-$root/.gpu/out}"
DEVICE="${DEVICE:-cuda}"
steps="${GPU_SOAK_STEPS:-2000}"
mkdir -p "$OUT"
work="$(mktemp -d)"
passed=0 failed=0
source scripts/gpu-env.sh
if [[ -z "${SRTRAIN:-}" ]]; then
  unpack_srtrain "$work"
  SRTRAIN="$work/srtrain/srtrain"
  use_torch_lib
fi
summary() { grep -E 'gc-hammer:|memory .*->|Validation at' "$OUT/$1.log" | tail -n 1 | sed 's/^.*\] //' | cut -c1-200; }

# 1. The quickstart's training parts (SRVGGNetCompact, UNet discriminator, every loss from step 0, EMA, data workers)
#    for $steps steps while another thread collects garbage without pause.
check gc-hammer-quickstart "$SRTRAIN" bench --memory --gc-hammer --memory-steps "$steps" --config configs/quickstart.yaml --device "$DEVICE"

# 2. NCCL with one rank: the same short run with distributed.backend auto (no gradient exchange) and nccl
#    (ncclAllReduce on the flat gradient buffers); the logged losses must agree.
for backend in auto nccl; do
  sed -e "s/total_steps: 1100/total_steps: 300/; s/start_step: 800/start_step: 100/; s/start_step: 950/start_step: 150/; s/val_freq: 400/val_freq: 300/" \
    configs/quickstart.yaml > "$work/$backend.yaml"
  printf 'runs_dir: %s\ndistributed: {backend: %s}\n' "$work/runs" "$backend" >> "$work/$backend.yaml"
  check "nccl-one-rank-$backend" "$SRTRAIN" train --config "$work/$backend.yaml" --name "$backend" --device "$DEVICE" --seed 1
done
if [[ -f "$work/runs/nccl/metrics.jsonl" && -f "$work/runs/auto/metrics.jsonl" ]]; then
  "$PYTHON" - "$work/runs/auto/metrics.jsonl" "$work/runs/nccl/metrics.jsonl" <<'PY' | tee "$OUT/nccl-compare.txt"
import json, sys
rows = [[json.loads(l) for l in open(p)] for p in sys.argv[1:]]
train = [{r['step']: r for r in rs if r.get('kind') == 'train'} for rs in rows]
worst = 0.0
for step in sorted(set(train[0]) & set(train[1])):
    for k, v in train[0][step].items():
        if k.startswith('l_') and isinstance(v, (int, float)) and k in train[1][step]:
            worst = max(worst, abs(v - train[1][step][k]) / max(abs(v), 1e-8))
print(f"nccl vs no exchange: {len(set(train[0]) & set(train[1]))} logged steps, largest relative loss difference {worst:.2e}")
PY
fi
grep -h "NCCL\|Gradients averaged" "$OUT"/nccl-one-rank-nccl.log | head -3
echo "gpu-soak: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
