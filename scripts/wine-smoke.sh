#!/usr/bin/env bash
# The Windows smoke, run on Linux under Debian's Wine: cross-publishes srtrain for win-x64 and runs
# scripts/windows-smoke.ps1 (the very script the Windows workflow runs natively) with srtrain.exe under wine64, then
# checks what only this machine can: from the same checkpoint the Windows build continues exactly as the Linux build
# does, and both upscale to the same bytes. Prints "PASS name" / "FAIL name: why" per check and exits 1 on any FAIL.
#
#   scripts/wine-smoke.sh [WORK_DIR]     (WORK_DIR: an empty folder to work in; default: a new temp folder)
#
# Needs wine64 (scripts/test.sh installs it) and PowerShell 7, which this script installs from NuGet as a dotnet tool
# into .tools/pwsh. The two Wine 8.0 workarounds (KMP_AFFINITY=disabled; ForceInterpretedInvoke in the published
# runtimeconfig) are applied by windows-smoke.ps1 itself when its program is wine, never in the product.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
wine=/usr/lib/wine/wine64
[[ -x "$wine" ]] || { echo "FAIL setup: no $wine (apt-get install wine64; scripts/test.sh does)"; exit 1; }

pwsh="$root/.tools/pwsh/pwsh"
if [[ ! -x "$pwsh" ]]; then
  echo "Installing PowerShell 7.6.10 (dotnet tool) into .tools/pwsh" >&2
  dotnet tool install --tool-path "$root/.tools/pwsh" PowerShell --version 7.6.10 >&2
fi

echo "Publishing srtrain for win-x64 into $work/app" >&2
dotnet publish "$root/src/SrTrain.Cli/SrTrain.Cli.csproj" -c Release -r win-x64 --self-contained -o "$work/app" \
  -nologo -v quiet -clp:NoSummary >&2
linux="$root/src/SrTrain.Cli/bin/Release/net10.0/srtrain"
[[ -x "$linux" ]] || dotnet build "$root/src/SrTrain.Cli/SrTrain.Cli.csproj" -c Release -nologo -v quiet -clp:NoSummary >&2

export WINEPREFIX="${SRTRAIN_WINEPREFIX:-$HOME/.cache/srtrain/wine-prefix}"
mkdir -p "$(dirname "$WINEPREFIX")"

rc=0
"$pwsh" -NoProfile -NonInteractive -Command \
  "& '$root/scripts/windows-smoke.ps1' -Srtrain @('$wine', '$work/app/srtrain.exe') -Work '$work/smoke' -Repo '$root'; exit \$LASTEXITCODE" || rc=$?

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; rc=1; }
smoke="$work/smoke"

# The Linux build continues the Windows build's checkpoint 10 (a copy of the run, so nothing of the smoke's changes):
# every train and val record at steps after 10 must match the Windows branch's within float rounding.
if [[ -d "$smoke/runs/smoke/checkpoints/10" && -f "$smoke/runs/smoke-from10/metrics.jsonl" ]]; then
  mkdir -p "$work/linux/runs"
  cp -r "$smoke/runs/smoke" "$work/linux/runs/smoke"
  cp -r "$smoke/datasets" "$work/linux/datasets"
  (cd "$work/linux" && "$linux" resume --run runs/smoke --from 10 --set train.total_steps=20 > resume.log 2>&1) || true
  if msg=$(python3 - "$smoke/runs/smoke-from10/metrics.jsonl" "$work/linux/runs/smoke-from10/metrics.jsonl" <<'PY'
import json, sys
def records(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if isinstance(r, dict) and r.get("kind") in ("train", "val") and r["step"] > 10:
            out[(r["kind"], r["step"])] = r
    return out
win, lin = records(sys.argv[1]), records(sys.argv[2])
if not win or win.keys() != lin.keys():
    sys.exit(f"records differ: Windows {sorted(win)} vs Linux {sorted(lin)}")
worst = 0.0
for key in win:
    for name, value in win[key].items():
        if isinstance(value, float) and name != "it_per_s":   # speed is the one value that may differ
            other = lin[key].get(name)
            if other is None:
                sys.exit(f"{key} {name}: missing on Linux")
            worst = max(worst, abs(value - other) / max(abs(value), abs(other), 1e-12))
if worst > 1e-4:
    sys.exit(f"largest relative difference {worst:.2e}")
print(f"{len(win)} records, largest relative difference {worst:.2e}")
PY
  ); then pass "resume-same-as-linux ($msg)"; else fail resume-same-as-linux "$msg"; fi
else
  fail resume-same-as-linux "the smoke left no runs/smoke/checkpoints/10 and runs/smoke-from10"
fi

# The same model and input give the same PNG bytes on both systems.
if [[ -f "$smoke/out/chelsea_x4.png" ]]; then
  (cd "$smoke" && "$linux" upscale datasets/sample/val/chelsea.png --model runs/smoke -o "$work/linux-out" > "$work/linux-upscale.log" 2>&1) || true
  if cmp -s "$smoke/out/chelsea_x4.png" "$work/linux-out/chelsea_x4.png"; then pass upscale-same-as-linux
  else fail upscale-same-as-linux "out/chelsea_x4.png differs from the Linux build's (or it failed: $(tail -n 1 "$work/linux-upscale.log"))"; fi
else
  fail upscale-same-as-linux "the smoke wrote no out/chelsea_x4.png"
fi

echo "wine-smoke: $passed passed, $failed failed (beside the PowerShell smoke's own count above)"
exit $rc
