<#
.SYNOPSIS
    Runs srtrain from a source checkout (the PowerShell twin of scripts/srtrain).

.DESCRIPTION
    Builds srtrain (Release) when a source file (.cs, .csproj, .props, .targets under src/ or build/, or
    Directory.Packages.props) is newer than the program, then runs it with the given arguments and exits with its exit
    code. Works in PowerShell 7 on Windows, Linux and macOS, and in Windows PowerShell 5.1.

.EXAMPLE
    scripts\srtrain.ps1 train --config configs\quickstart.yaml
#>
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
# $IsWindows does not exist in Windows PowerShell 5.1, which only runs on Windows.
$onWindows = $PSVersionTable.PSEdition -eq 'Desktop' -or $IsWindows
$bin = Join-Path $root ('src/SrTrain.Cli/bin/Release/net10.0/' + $(if ($onWindows) { 'srtrain.exe' } else { 'srtrain' }))

function Test-SourcesNewer([datetime] $than) {
    $sources = @(Join-Path $root 'src'; Join-Path $root 'build')
    foreach ($dir in $sources) {
        foreach ($f in [System.IO.Directory]::EnumerateFiles($dir, '*', [System.IO.SearchOption]::AllDirectories)) {
            if ($f -notmatch '\.(cs|csproj|props|targets)$') { continue }
            if ($f -match '[\\/](bin|obj)[\\/]') { continue }
            if ([System.IO.File]::GetLastWriteTimeUtc($f) -gt $than) { return $true }
        }
    }
    return [System.IO.File]::GetLastWriteTimeUtc((Join-Path $root 'Directory.Packages.props')) -gt $than
}

if (-not (Test-Path -LiteralPath $bin) -or (Test-SourcesNewer ([System.IO.File]::GetLastWriteTimeUtc($bin)))) {
    [Console]::Error.WriteLine('Building srtrain (Release)...')
    # The build's own output goes to stderr, so that srtrain's stdout (e.g. `srtrain schema > file`) stays clean.
    $log = & dotnet build (Join-Path $root 'src/SrTrain.Cli/SrTrain.Cli.csproj') -c Release -nologo -v quiet -clp:NoSummary 2>&1
    foreach ($line in $log) { [Console]::Error.WriteLine($line) }
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}
& $bin @args
exit $LASTEXITCODE
