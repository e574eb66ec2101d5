<#
.SYNOPSIS
    Builds everything and runs the whole test suite (xunit), then prints one summary line "tests: N passed, N failed"
    (the PowerShell twin of scripts/test.sh).

.DESCRIPTION
    scripts\test.ps1 --fast runs the unit tests only (seconds): the tests marked Speed=slow (training runs, the GC
    hammer, the fuzz corpus) and Speed=process (the real CLI and mpirun as child processes) are left out. Other
    arguments go to `dotnet test` as they are. Exits with dotnet test's exit code.

    On Windows there is no Open MPI: the data-parallel tests under mpirun, the POSIX-signal tests and the /dev/zero
    cases are skipped there, each with its reason in the results. On Linux, scripts/test.sh also installs the fonts and
    Open MPI that some tests need; this script only says when they are missing.
#>
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
Set-Location -LiteralPath $root
$onWindows = $PSVersionTable.PSEdition -eq 'Desktop' -or $IsWindows

if (-not $onWindows) {
    if (-not (Get-Command mpirun -ErrorAction SilentlyContinue)) {
        [Console]::Error.WriteLine('No mpirun: the data-parallel tests will fail; run scripts/test.sh (it installs Open MPI) or: sudo apt-get install openmpi-bin libopenmpi-dev')
    }
    # CI runs as root, which mpirun refuses unless told.
    $env:OMPI_ALLOW_RUN_AS_ROOT = '1'
    $env:OMPI_ALLOW_RUN_AS_ROOT_CONFIRM = '1'
}

$passThrough = @()
foreach ($a in $args) {
    if ($a -eq '--fast') { $passThrough += @('--filter', 'Speed!=slow&Speed!=process') } else { $passThrough += $a }
}

$results = Join-Path ([System.IO.Path]::GetTempPath()) ('srtrain-tests-' + [guid]::NewGuid().ToString('N'))
$null = New-Item -ItemType Directory -Path $results
try {
    & dotnet test SrTrain.sln -c Release --logger 'trx;LogFileName=results.trx' --results-directory $results @passThrough
    $code = $LASTEXITCODE
    $trx = Get-ChildItem -LiteralPath $results -Recurse -Filter '*.trx' | Select-Object -First 1
    if ($trx) {
        $counters = ([xml](Get-Content -Raw -LiteralPath $trx.FullName)).TestRun.ResultSummary.Counters
        Write-Output "tests: $($counters.passed) passed, $($counters.failed) failed"
    }
}
finally {
    Remove-Item -Recurse -Force -LiteralPath $results -ErrorAction SilentlyContinue
}
exit $code
