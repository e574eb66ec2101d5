#!/usr/bin/env bash
# Times two builds of srtrain against each other and against PyTorch on one GPU, in one run, so that a refactor can
# show "same speed before and after" with numbers from the same machine.
#
#   scripts/gpu-bench-ab.sh --publish REV   (here, with the .NET SDK) builds .gpu/srtrain.tar.xz from the working tree
#                                           (scripts/gpu-check.sh --publish) and .gpu/base-overlay.tar.xz: the files of
#                                           REV's publish that differ from it (a few MB; both builds share the runtime)
#   scripts/gpu-bench-ab.sh                 (on the GPU machine, from the repository root) unpacks both, then times the
#                                           esrgan preset (train, train +translational, inference) for the two builds in
#                                           alternating rounds (base, new, new, base, ...) and PyTorch's best settings
#                                           once; prints one line per timing and a table of medians and ratios last
#
# Environment: PYTHON (default python3, the one with PyTorch), OUT (logs; default .gpu/out-ab), DEVICE (default cuda;
# cpu runs the cpu-small preset), AB_ROUNDS (default 2), AB_STEPS (default 60), AB_MODES (default "train translational
# infer"), TORCH_LIB (the libtorch 2.10
# folder srtrain loads; default PYTHON's torch/lib. For a CPU dry run beside an older PyTorch, give the one of a
# local build: src/SrTrain.Cli/bin/Release/net10.0/runtimes/linux-x64/native).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ "${1:-}" == "--publish" ]]; then
  set -e
  rev="${2:?usage: scripts/gpu-bench-ab.sh --publish REV}"
  scripts/gpu-check.sh --publish
  base="$(mktemp -d)"
  git worktree add --detach "$base/src" "$rev" >/dev/null
  (cd "$base/src" && scripts/gpu-check.sh --publish >/dev/null)
  # The overlay: every file of REV's publish that the new one lacks or has with other bytes.
  (cd "$base/src/.gpu/srtrain" && find . -type f | while read -r f; do
     cmp -s "$f" "$root/.gpu/srtrain/$f" || echo "$f"
   done) > "$base/changed"
  tar -C "$base/src/.gpu/srtrain" -cf - -T "$base/changed" | xz -T0 -6 > .gpu/base-overlay.tar.xz
  # Files the new build added and REV does not have are removed from the base copy on the GPU machine.
  (cd .gpu/srtrain && find . -type f | while read -r f; do [[ -e "$base/src/.gpu/srtrain/$f" ]] || echo "$f"; done) > .gpu/base-remove.txt
  git worktree remove --force "$base/src"
  echo "$rev $(git rev-parse --short "$rev")" > .gpu/base-rev.txt
  echo "published: .gpu/srtrain.tar.xz ($(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes')), base overlay $(wc -l < "$base/changed") files ($(du -h .gpu/base-overlay.tar.xz | cut -f1)) from $rev"
  rm -rf "$base"
  exit 0
fi

PYTHON="${PYTHON:-python3}"
OUT="${OUT:-$root/.gpu/out-ab}"
DEVICE="${DEVICE:-cuda}"
rounds="${AB_ROUNDS:-2}"
steps="${AB_STEPS:-60}"
modes="${AB_MODES:-train translational infer}"
preset=esrgan; [[ "$DEVICE" == cpu ]] && preset=cpu-small
mkdir -p "$OUT"
work="$(mktemp -d)"
source scripts/gpu-env.sh
for f in .gpu/srtrain.tar.xz .gpu/base-overlay.tar.xz .gpu/base-remove.txt; do
  [[ -f "$f" ]] || { echo "no $f: run scripts/gpu-bench-ab.sh --publish REV first" >&2; exit 2; }
done
mkdir -p "$work/new" "$work/base"
unpack_srtrain "$work/new"
cp -a "$work/new/srtrain" "$work/base/"
(cd "$work/base/srtrain" && xargs -r rm -f < "$root/.gpu/base-remove.txt")
tar -C "$work/base/srtrain" -xJf .gpu/base-overlay.tar.xz
use_torch_lib
echo "gpu-bench-ab: $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1), torch $("$PYTHON" -c 'import torch; print(torch.__version__)'), base $(cat .gpu/base-rev.txt 2>/dev/null), $rounds rounds of $steps steps"

# timing LABEL COMMAND...: runs it, keeps its log, prints and records "LABEL median_ms X".
timing() {
  local label="$1"; shift
  local log="$OUT/$label.log"
  "$@" >> "$log" 2>&1 || { echo "FAIL $label: $(tail -n 2 "$log" | tr '\n' ' ' | cut -c1-300)"; return 1; }
  local ms; ms="$(grep -o 'median_ms [0-9.]*' "$log" | tail -1 | cut -d' ' -f2)"
  echo "$label $ms" | tee -a "$work/timings"
}
# mode_flags MODE: the flag both programs take for it (train: none).
mode_flags() { case "$1" in translational) echo --translational ;; infer) echo --infer ;; esac; }
bench() { local build="$1" mode="$2"
  timing "$build-$mode" "$work/$build/srtrain/srtrain" bench --preset "$preset" $(mode_flags "$mode") --steps "$steps" --warmup 5 --device "$DEVICE"
}
peer() { local mode="$1"
  timing "pytorch-$mode" "$PYTHON" scripts/peer_srgan_gpu.py --preset "$preset" --device "$DEVICE" --steps "$steps" --channels-last --cudnn-benchmark $(mode_flags "$mode")
}

failed=0
for mode in $modes; do peer "$mode" || failed=1; done
for ((r = 1; r <= rounds; r++)); do
  order="base new"; (( r % 2 == 0 )) && order="new base"
  for build in $order; do
    for mode in $modes; do bench "$build" "$mode" || failed=1; done
  done
done

# Medians over rounds, and each build's ratio to PyTorch's best on the same machine.
"$PYTHON" - "$work/timings" <<'EOF' | tee "$OUT/ab.txt"
import statistics, sys
t = {}
for line in open(sys.argv[1]):
    label, ms = line.split()
    t.setdefault(label, []).append(float(ms))
med = {k: statistics.median(v) for k, v in t.items()}
print(f"{'mode':<14}{'pytorch ms':>11}{'base ms':>9}{'new ms':>9}{'base/pt':>9}{'new/pt':>8}{'new/base':>10}   rounds (base; new)")
for mode in ("train", "translational", "infer"):
    pt, b, n = med.get(f"pytorch-{mode}"), med.get(f"base-{mode}"), med.get(f"new-{mode}")
    if None in (pt, b, n): print(f"{mode:<14} missing"); continue
    print(f"{mode:<14}{pt:>11.1f}{b:>9.1f}{n:>9.1f}{b/pt:>9.2f}{n/pt:>8.2f}{n/b:>10.3f}   {t[f'base-{mode}']}; {t[f'new-{mode}']}")
EOF
[[ $failed -eq 0 ]]
