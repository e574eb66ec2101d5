#!/usr/bin/env bash
# Builds everything and runs the whole test suite (xunit), then prints one summary line "N passed, N failed".
# scripts/test.sh --fast runs the unit tests only.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# The report tests check text drawn into plots, and SkiaSharp reads fonts from /usr/share/fonts.
if ! find /usr/share/fonts -name '*.ttf' -print -quit 2>/dev/null | grep -q .; then
  echo "No fonts in /usr/share/fonts: installing fonts-dejavu-core (needed for the report's plot text)" >&2
  if [[ $(id -u) -eq 0 ]]; then
    (apt-get update -qq && apt-get install -y -qq fonts-dejavu-core) >&2 || echo "could not install fonts-dejavu-core" >&2
  else
    echo "run: sudo apt-get install fonts-dejavu-core" >&2
  fi
fi
# The data-parallel tests run srtrain under Open MPI's mpirun (2-3 ranks on this machine).
if ! command -v mpirun >/dev/null 2>&1 || ! ldconfig -p | grep -q 'libmpi\.so\.40'; then
  echo "No Open MPI: installing openmpi-bin and libopenmpi-dev (needed for the data-parallel tests)" >&2
  if [[ $(id -u) -eq 0 ]]; then
    (apt-get update -qq && apt-get install -y -qq openmpi-bin libopenmpi-dev) >&2 || echo "could not install Open MPI" >&2
  else
    echo "run: sudo apt-get install openmpi-bin libopenmpi-dev" >&2
  fi
fi
# The Windows smoke (WindowsSmokeTests) runs the win-x64 build under Debian's Wine; PowerShell comes from NuGet.
if [[ ! -x /usr/lib/wine/wine64 ]] && [[ " $* " != *" --fast "* ]]; then
  echo "No wine64: installing it (needed for the Windows smoke test)" >&2
  if [[ $(id -u) -eq 0 ]]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wine64) >&2 || echo "could not install wine64" >&2
  else
    echo "run: sudo apt-get install wine64" >&2
  fi
fi
# The ONNX export tests check the exported files with the ONNX project's own checker (onnx.checker) when
# /usr/bin/python3 can import onnx; they are skipped without it.
if ! /usr/bin/python3 -c 'import onnx' >/dev/null 2>&1; then
  echo "No python3-onnx: installing it (onnx.checker for the ONNX export tests)" >&2
  if [[ $(id -u) -eq 0 ]]; then
    (apt-get update -qq && apt-get install -y -qq python3-onnx) >&2 || echo "could not install python3-onnx" >&2
  else
    echo "run: sudo apt-get install python3-onnx" >&2
  fi
fi
# CI runs as root, which mpirun refuses unless told.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
results="$(mktemp -d)"
# --fast: the unit tests only (seconds); the tests marked Speed=slow (training runs, the GC hammer, the fuzz corpus) and
# Speed=process (the real CLI and mpirun as child processes) are left out.
args=()
for a in "$@"; do
  if [[ "$a" == "--fast" ]]; then args+=(--filter "Speed!=slow&Speed!=process"); else args+=("$a"); fi
done
dotnet test SrTrain.sln -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "${args[@]}"
code=$?
trx="$(find "$results" -name '*.trx' | head -1)"
if [[ -n "$trx" ]]; then
  passed=$(grep -o 'passed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
  failed=$(grep -o 'failed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
  echo "tests: ${passed:-0} passed, ${failed:-0} failed"
fi
rm -rf "$results"
exit $code
