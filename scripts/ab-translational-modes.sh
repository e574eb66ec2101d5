#!/usr/bin/env bash
# The translational term's views compared at CPU scale (issue 24): baseline, corners (the seed's idea), free offsets and
# sub-pixel views, SEEDS seeds each, every branch from the same step of its seed's baseline.
#   1. split the bundled sample photos: coffee leaves training and joins chelsea as validation, so the two validation
#      photos are ones the training never saw (runs/abm-data/, made from datasets/sample; licences there);
#   2. per seed: train the baseline (configs/ab-cpu.yaml: SRVGGNetCompact x4, pixel L1 + RaGAN) to TOTAL steps, then branch
#      it at BRANCH with the term on (weight 1, shift 4) in each of the three views, to TOTAL;
#   3. write docs/ab-translational-modes/summary.md (mean ± sd over seeds of the final validation, and each variant's
#      step time after the branch against its baseline's over the same steps) and `srtrain report` of seed 0's runs.
# Existing runs are reused and continued, so an interrupted ablation resumes where it stopped. The full size (3 seeds,
# 3000 steps, branch at 1500) takes about an hour and a half on 2 free cores; a tiny end-to-end check:
#   TOTAL=40 BRANCH=20 VAL_FREQ=20 GAN_START=10 PRINT_FREQ=5 PREFIX=abm-tiny OUT=/tmp/abm-tiny scripts/ab-translational-modes.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
srtrain=${SRTRAIN:-scripts/srtrain}
total=${TOTAL:-3000}
branch=${BRANCH:-1500}
val_freq=${VAL_FREQ:-250}
gan_start=${GAN_START:-1000}
print_freq=${PRINT_FREQ:-100}
seeds=${SEEDS:-0 1 2}
prefix=${PREFIX:-abm}
out=${OUT:-docs/ab-translational-modes}
views=(Corners Free SubPixel)

data=runs/abm-data
if [[ ! -d "$data/val" ]]; then
  mkdir -p "$data/train" "$data/val.tmp"
  for f in datasets/sample/train/*.png; do [[ "$(basename "$f")" == coffee.png ]] || cp "$f" "$data/train/"; done
  cp datasets/sample/train/coffee.png datasets/sample/val/chelsea.png "$data/val.tmp/"
  mv "$data/val.tmp" "$data/val"
fi

common=(--set "datasets.train.dataroot_gt=$data/train" --set "datasets.val.dataroot_gt=$data/val"
        --set "train.total_steps=$total" --set "val.val_freq=$val_freq" --set "checkpoint.save_freq=$branch"
        --set "losses.gan.start_step=$gan_start" --set "logger.print_freq=$print_freq")
finished() { [[ "$(cat "$1/checkpoints/latest" 2>/dev/null)" == "$total" ]]; }

runs=()
for seed in $seeds; do
  base=runs/$prefix-base-s$seed
  finished "$base" || $srtrain train --config configs/ab-cpu.yaml --name "$prefix-base-s$seed" --seed "$seed" --auto-resume "${common[@]}"
  runs+=("$base")
  for v in "${views[@]}"; do
    name=$prefix-$(tr '[:upper:]' '[:lower:]' <<<"$v")-s$seed
    if [[ ! -d runs/$name ]]; then
      $srtrain resume --run "$base" --from "$branch" --translational --name "$name" --set "losses.translational.views=$v"
    elif ! finished "runs/$name"; then
      $srtrain resume --run "runs/$name"
    fi
    runs+=("runs/$name")
  done
done

mkdir -p "$out"
python3 - "$total" "$branch" "$out/summary.md" "${runs[@]}" <<'PY'
import json, statistics, sys
total, branch, path, runs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
def records(run):
    with open(f"{run}/metrics.jsonl") as f:
        return [json.loads(l) for l in f if l.strip()]
def variant(run):
    return run.rsplit("/", 1)[-1].split("-")[-2]
metrics = ["psnr_y", "ssim_y", "shift_err", "shift_err_interior", "phase_err"]
rows, speed, bicubic = {}, {}, None
for run in runs:
    recs = records(run)
    final = [r for r in recs if r["kind"] == "val" and r["step"] == total]
    if not final:
        sys.exit(f"{run}: no validation at step {total}")
    rows.setdefault(variant(run), []).append(final[-1])
    # Seconds per step after the branch point (the baseline over the same steps), from the logged it/s.
    rates = [r["it_per_s"] for r in recs if r["kind"] == "train" and r["step"] > branch and r.get("it_per_s", 0) > 0]
    if rates:
        speed.setdefault(variant(run), []).append(1 / statistics.median(rates))
    bicubic = bicubic or next((r for r in recs if r["kind"] == "val_bicubic"), None)
def ms(values, fmt):
    m = statistics.mean(values)
    sd = statistics.stdev(values) if len(values) > 1 else float("nan")
    return f"{m:{fmt}} ± {sd:{fmt}}"
fmts = {"psnr_y": ".3f", "ssim_y": ".4f"}
lines = [f"Final validation at step {total} (branches from step {branch}), mean ± sd over {len(rows['base'])} seed(s); "
         "validation photos chelsea and coffee, which the training never saw.", "",
         "| variant | " + " | ".join(metrics) + " | s/step after the branch | vs baseline |",
         "| --- |" + " --- |" * (len(metrics) + 2)]
base_speed = statistics.mean(speed["base"]) if speed.get("base") else float("nan")
for v in ["base", "corners", "free", "subpixel"]:
    if v not in rows: continue
    cells = [ms([r[m] for r in rows[v]], fmts.get(m, ".3e")) for m in metrics]
    s = statistics.mean(speed[v]) if speed.get(v) else float("nan")
    lines.append(f"| {v} | " + " | ".join(cells) + f" | {s:.3f} | {s / base_speed:.2f} |")
if bicubic:
    lines.append("| bicubic | " + " | ".join(f"{bicubic[m]:{fmts.get(m, '.3e')}}" for m in metrics) + " | | |")
open(path, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
first=${seeds%% *}
$srtrain report "runs/$prefix-base-s$first" "runs/$prefix-corners-s$first" "runs/$prefix-free-s$first" "runs/$prefix-subpixel-s$first" -o "$out" --overwrite
echo "Summary: $out/summary.md; report: $out/report.md"
