#!/usr/bin/env bash
# Builds everything and runs the whole test suite (xunit), then prints one summary line "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
results="$(mktemp -d)"
dotnet test SrTrain.sln -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
code=$?
trx="$(find "$results" -name '*.trx' | head -1)"
if [[ -n "$trx" ]]; then
  passed=$(grep -o 'passed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
  failed=$(grep -o 'failed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
  echo "tests: ${passed:-0} passed, ${failed:-0} failed"
fi
rm -rf "$results"
exit $code
