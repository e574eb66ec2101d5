#!/usr/bin/env bash
# The long form of the GC-hammer tests (tests/SrTrain.Tests/Runtime/GcHammerTests.cs): real training with every loss,
# validation and a tiled upscale while another thread runs garbage collections without pause. Steps: $1 (default 2000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export SRTRAIN_GC_HAMMER_STEPS="${1:-2000}"
dotnet test tests/SrTrain.Tests/SrTrain.Tests.csproj -c Release --filter "FullyQualifiedName~GcHammerTests" --logger "console;verbosity=normal"
