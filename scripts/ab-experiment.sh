#!/usr/bin/env bash
# The translational A/B experiment at CPU scale, on the bundled sample photos (about 20–30 minutes on 2 cores):
#   1. train a baseline (configs/ab-cpu.yaml, seed 0) to step 3000;
#   2. branch it at step 1500, once the images are coherent, with the translational term on, to step 3000;
#   3. train the baseline again with another seed, to see how much two identical runs differ (run-to-run noise);
#   4. write the report (plots, image grid, summary) into docs/ab-experiment/.
# Existing runs are reused (--auto-resume), so an interrupted experiment continues where it stopped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
srtrain=scripts/srtrain
branch_step=${BRANCH_STEP:-1500}
out=${OUT:-docs/ab-experiment}

$srtrain train --config configs/ab-cpu.yaml --auto-resume
branch=runs/ab-baseline-from${branch_step}-translational
if [[ ! -d "$branch" ]]; then
  $srtrain resume --run runs/ab-baseline --from "$branch_step" --translational
elif [[ "$(cat "$branch/checkpoints/latest" 2>/dev/null)" != 3000 ]]; then
  $srtrain resume --run "$branch"
fi
$srtrain train --config configs/ab-cpu.yaml --name ab-baseline-seed1 --seed 1 --auto-resume
$srtrain report runs/ab-baseline "$branch" runs/ab-baseline-seed1 -o "$out" --overwrite
echo "Report: $out/report.md"
