#!/usr/bin/env bash
# Times SrTrain's training step, translational step and inference against the PyTorch peer
# (scripts/peer_srgan_step.py, preset cpu-small), alternating the two so that machine load hits both alike, and prints
# each ratio srtrain/peer as the median of the per-round medians (below 1.0 = SrTrain faster).
#
# usage: scripts/bench-vs-peer.sh [--rounds N] [--steps N] [--threads T] [--modes "train translational infer"]
set -euo pipefail

cd "$(dirname "$0")/.."
rounds=3
steps=8
threads=$(nproc)
modes="train translational infer"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --steps) steps="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --modes) modes="$2"; shift 2 ;;
        -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
        *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

python=/usr/bin/python3
if ! "$python" -c 'import torch, torchvision' 2>/dev/null; then
    echo "The peer needs Debian's PyTorch: apt-get install -y python3-torch python3-torchvision (as root)" >&2
    exit 2
fi

echo "building Release ..."
dotnet build -c Release -v q -nologo src/SrTrain.Cli >/dev/null
srtrain=src/SrTrain.Cli/bin/Release/net10.0/srtrain
[[ -x "$srtrain" ]] || { echo "build did not produce $srtrain" >&2; exit 1; }

echo "threads $threads, rounds $rounds, steps $steps; load: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A ratios
for ((r = 1; r <= rounds; r++)); do
    for mode in $modes; do
        case "$mode" in
            train) flag="" ;;
            translational) flag="--translational" ;;
            infer) flag="--infer" ;;
            *) echo "unknown mode $mode" >&2; exit 2 ;;
        esac
        # shellcheck disable=SC2086
        peer_line=$("$python" scripts/peer_srgan_step.py $flag --steps "$steps" --threads "$threads" | grep median_ms)
        # shellcheck disable=SC2086
        ours_line=$("$srtrain" bench $flag --steps "$steps" --threads "$threads" --no-peaks --log-level warning | grep median_ms)
        peer_ms=$(sed -E 's/.*median_ms ([0-9.]+).*/\1/' <<<"$peer_line")
        ours_ms=$(sed -E 's/.*median_ms ([0-9.]+).*/\1/' <<<"$ours_line")
        ratio=$(awk -v a="$ours_ms" -v b="$peer_ms" 'BEGIN { printf "%.3f", a / b }')
        ratios[$mode]="${ratios[$mode]:-} $ratio"
        printf 'round %d %-13s peer %8.1f ms  srtrain %8.1f ms  ratio %s  (load %s)\n' "$r" "$mode" "$peer_ms" "$ours_ms" "$ratio" "$(cut -d' ' -f1 /proc/loadavg)"
    done
done

echo "median ratio srtrain/peer (target <= 1.0):"
for mode in $modes; do
    # shellcheck disable=SC2086
    med=$(printf '%s\n' ${ratios[$mode]} | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    printf '  %-13s %s\n' "$mode" "$med"
done
