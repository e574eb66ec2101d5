#Requires -Version 7.0
<#
.SYNOPSIS
    The Windows smoke: every srtrain command as a Windows user runs it, one PASS or FAIL line per step.

.DESCRIPTION
    Shared by the GitHub Actions workflow (.github/workflows/windows.yml, srtrain.exe natively on windows-latest) and
    the Wine run in the Linux suite (srtrain.exe under Debian's wine64, this script under PowerShell 7 on Linux), so
    both check the same things. It also passes with the Linux binary, which is how it is tried out on Linux.

    Steps, in order (later steps use the run that "train" makes): schema, convert-config, train, resume-exact,
    resume-continue, translational, upscale, overwrite-case, overwrite-link, dataset-link-loop, eval, report-live, bench-infer,
    msmpi-env, utf8. Each prints "PASS <name>" or "FAIL <name>: <reason>" (then the end of srtrain's output,
    indented); the last line is "smoke: N passed, N failed"; the exit code is 1 if any step failed.

    Every command runs in -Work with relative paths, so the same command lines work for a Windows program under Wine
    (whose working folder is the Linux one) and natively. Each command has a time limit; past it the process tree is
    killed and the step fails.

    Under Wine (the program is wine or wine64) the script applies the two workarounds that Wine 8.0 needs and Windows
    does not, to the child processes and the published folder only, never to the product's sources:
    KMP_AFFINITY=disabled (libiomp5 calls GetNumaNodeProcessorMaskEx, which Wine lacks) and
    Switch.System.Reflection.ForceInterpretedInvoke=true in SrTrain.Cli.runtimeconfig.json (.NET 10 on Wine dies with
    "Internal CLR error (0x80131506)" when a reflection stub is collected). WINEDEBUG=-all keeps Wine's own messages
    out of srtrain's output.

.PARAMETER Srtrain
    The program and any arguments before srtrain's own: @('C:\app\srtrain.exe') on Windows,
    @('/usr/lib/wine/wine64', '/tmp/app/srtrain.exe') under Wine, @('src/SrTrain.Cli/bin/Release/net10.0/srtrain')
    on Linux.

.PARAMETER Work
    An empty (or not yet existing) folder to work in; configs/ and datasets/ are copied there from -Repo.

.PARAMETER Repo
    The repository root (default: this script's parent folder).

.EXAMPLE
    pwsh scripts/windows-smoke.ps1 -Srtrain @("$PWD/publish/srtrain.exe") -Work $env:RUNNER_TEMP/smoke
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string[]] $Srtrain,
    [Parameter(Mandatory)] [string] $Work,
    [string] $Repo = (Split-Path -Parent $PSScriptRoot)
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

# The script is ASCII; the multiplication sign that srtrain prints in "pixel L1 x1" is made here.
$Times = [string][char]0x00D7
$StrictUtf8 = [System.Text.UTF8Encoding]::new($false, $true)

$Repo = (Resolve-Path -LiteralPath $Repo).Path
$null = New-Item -ItemType Directory -Force -Path $Work
$Work = (Resolve-Path -LiteralPath $Work).Path
if (Get-ChildItem -LiteralPath $Work -Force | Select-Object -First 1) {
    [Console]::Error.WriteLine("windows-smoke: $Work is not empty; give an empty or new folder")
    exit 2
}
Copy-Item -Recurse -LiteralPath (Join-Path $Repo 'configs') -Destination $Work
Copy-Item -Recurse -LiteralPath (Join-Path $Repo 'datasets') -Destination $Work
# Two small photos (112x75 and 150x100) for the overwrite cases, so that upscaling them takes seconds under Wine too.
$SmallPhoto = Join-Path $Repo 'tests/SrTrain.Tests/TestData/Inference/chelsea_lqx4.png'
$OtherPhoto = Join-Path $Repo 'tests/SrTrain.Tests/TestData/Inference/coffee_lqx4.png'

# Environment variables for every srtrain this script starts (on top of its own environment).
$ChildEnvironment = @{}
$UnderWine = (Split-Path -Leaf $Srtrain[0]) -match '^wine(64)?$'
if ($UnderWine) {
    $ChildEnvironment['KMP_AFFINITY'] = 'disabled'
    $ChildEnvironment['WINEDEBUG'] = '-all'
    $exe = $Srtrain | Where-Object { $_ -match '\.exe$' } | Select-Object -First 1
    $runtimeConfig = Join-Path (Split-Path -Parent $exe) 'SrTrain.Cli.runtimeconfig.json'
    $json = Get-Content -Raw -LiteralPath $runtimeConfig | ConvertFrom-Json -AsHashtable
    if (-not $json.runtimeOptions.ContainsKey('configProperties')) { $json.runtimeOptions['configProperties'] = @{} }
    if ($json.runtimeOptions.configProperties['Switch.System.Reflection.ForceInterpretedInvoke'] -ne $true) {
        $json.runtimeOptions.configProperties['Switch.System.Reflection.ForceInterpretedInvoke'] = $true
        $json | ConvertTo-Json -Depth 20 | Set-Content -LiteralPath $runtimeConfig -Encoding utf8NoBOM
    }
    Write-Output "Under Wine: KMP_AFFINITY=disabled, WINEDEBUG=-all, ForceInterpretedInvoke in $runtimeConfig"
}

function New-SrtrainStartInfo([string[]] $Arguments, [hashtable] $Environment) {
    $psi = [System.Diagnostics.ProcessStartInfo]::new($Srtrain[0])
    # ArgumentList quotes each argument as the target system expects; the prefix (Wine's program) comes first.
    foreach ($a in @($Srtrain | Select-Object -Skip 1) + $Arguments) { $psi.ArgumentList.Add($a) }
    $psi.WorkingDirectory = $Work
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    foreach ($e in @($ChildEnvironment.GetEnumerator()) + @($Environment.GetEnumerator())) { $psi.Environment[$e.Key] = $e.Value }
    $psi
}

# A started srtrain whose stdout and stderr are copied, as bytes, into memory while it runs.
function Start-Srtrain([string[]] $Arguments, [hashtable] $Environment = @{}) {
    $p = [System.Diagnostics.Process]::Start((New-SrtrainStartInfo $Arguments $Environment))
    $stdout = [System.IO.MemoryStream]::new()
    $stderr = [System.IO.MemoryStream]::new()
    [pscustomobject]@{
        Process   = $p
        Arguments = $Arguments
        Stdout    = $stdout
        Stderr    = $stderr
        Copies    = @($p.StandardOutput.BaseStream.CopyToAsync($stdout), $p.StandardError.BaseStream.CopyToAsync($stderr))
    }
}

# Waits for a started srtrain (killing its process tree after the time limit) and returns what it did.
function Wait-Srtrain($Started, [int] $TimeoutSeconds) {
    $p = $Started.Process
    $timedOut = -not $p.WaitForExit($TimeoutSeconds * 1000)
    if ($timedOut) { $p.Kill($true); $null = $p.WaitForExit(30000) }
    $null = [System.Threading.Tasks.Task]::WaitAll($Started.Copies, 30000)
    $stdoutBytes = $Started.Stdout.ToArray()
    $stderrText = [System.Text.Encoding]::UTF8.GetString($Started.Stderr.ToArray())
    $stdoutText = [System.Text.Encoding]::UTF8.GetString($stdoutBytes)
    [pscustomobject]@{
        Command     = 'srtrain ' + ($Started.Arguments -join ' ')
        ExitCode    = if ($timedOut) { $null } else { $p.ExitCode }
        TimedOut    = $timedOut
        StdoutBytes = $stdoutBytes
        Output      = $stdoutText + $stderrText
    }
}

# The one way this script runs srtrain to the end: captures stdout (as bytes) and stderr, the exit code, and kills
# the process tree after $TimeoutSeconds.
function Invoke-Srtrain([string[]] $Arguments, [int] $TimeoutSeconds = 300, [hashtable] $Environment = @{}) {
    Wait-Srtrain (Start-Srtrain $Arguments $Environment) $TimeoutSeconds
}

# A step's failure: its reason, and the end of the srtrain output that explains it.
class SmokeFailure : System.Exception {
    [string] $Detail
    SmokeFailure([string] $reason, [string] $detail) : base($reason) { $this.Detail = $detail }
}

function Fail([string] $Reason, $Result = $null) {
    $detail = ''
    if ($null -ne $Result) {
        $lines = @($Result.Output -split "`r?`n" | Where-Object { $_ -ne '' } | Select-Object -Last 15)
        $detail = (@($Result.Command) + $lines | ForEach-Object { "    | $_" }) -join [Environment]::NewLine
    }
    throw [SmokeFailure]::new($Reason, $detail)
}

# Fails unless the command ended by itself with exit code 0.
function Assert-Success($Result) {
    if ($Result.TimedOut) { Fail 'timed out' $Result }
    if ($Result.ExitCode -ne 0) { Fail "exit code $($Result.ExitCode)" $Result }
}

function Assert-Path([string] $Path, $Result = $null) {
    if (-not (Test-Path -LiteralPath (Join-Path $Work $Path))) { Fail "$Path does not exist" $Result }
}

$script:Passed = 0
$script:Failed = 0

function Step([string] $Name, [scriptblock] $Body) {
    try {
        $null = & $Body
        Write-Output "PASS $Name"
        $script:Passed++
    }
    catch {
        Write-Output "FAIL ${Name}: $($_.Exception.Message)"
        if ($_.Exception -is [SmokeFailure] -and $_.Exception.Detail) { Write-Output $_.Exception.Detail }
        $script:Failed++
    }
}

function W([string] $Path) { Join-Path $Work $Path }

function Get-Sha256([string] $Path) { (Get-FileHash -Algorithm SHA256 -LiteralPath (W $Path)).Hash }

# Width and height from a PNG's IHDR chunk (big-endian at bytes 16 and 20).
function Get-PngSize([string] $Path) {
    $b = [System.IO.File]::ReadAllBytes((W $Path))
    $w = ([int]$b[16] -shl 24) -bor ([int]$b[17] -shl 16) -bor ([int]$b[18] -shl 8) -bor [int]$b[19]
    $h = ([int]$b[20] -shl 24) -bor ([int]$b[21] -shl 16) -bor ([int]$b[22] -shl 8) -bor [int]$b[23]
    , @($w, $h)
}

# A run's metrics.jsonl records, read with sharing that lets srtrain keep writing the file.
function Read-Metrics([string] $Run) {
    $path = W "$Run/metrics.jsonl"
    $stream = [System.IO.FileStream]::new($path, 'Open', 'Read', [System.IO.FileShare]'ReadWrite, Delete')
    try { $text = [System.IO.StreamReader]::new($stream).ReadToEnd() } finally { $stream.Dispose() }
    $lines = @($text -split "`r?`n")
    # A line that srtrain is still writing has no line end yet (and the split leaves '' after a complete last line).
    @($lines | Select-Object -First ($lines.Count - 1) | Where-Object { $_.Trim() -ne '' } | ForEach-Object { $_ | ConvertFrom-Json })
}

function Find-Record($Records, [string] $Kind, [long] $Step) {
    @($Records | Where-Object { $_.kind -eq $Kind -and $_.step -eq $Step }) | Select-Object -Last 1
}

$clock = [System.Diagnostics.Stopwatch]::StartNew()

Step 'schema' {
    $r1 = Invoke-Srtrain @('schema', '-o', 's1.json') 60
    Assert-Success $r1
    $r2 = Invoke-Srtrain @('schema') 60
    Assert-Success $r2
    # What the program wrote to its stdout, byte for byte (as `srtrain schema > s2.json` in cmd.exe writes it).
    [System.IO.File]::WriteAllBytes((W 's2.json'), $r2.StdoutBytes)
    $s1 = [System.IO.File]::ReadAllBytes((W 's1.json'))
    $s2 = $r2.StdoutBytes
    if ([Convert]::ToBase64String($s1) -ne [Convert]::ToBase64String($s2)) {
        $at = 0
        while ($at -lt $s1.Length -and $at -lt $s2.Length -and $s1[$at] -eq $s2[$at]) { $at++ }
        $hex = { param($b) ($b[$at..([Math]::Min($at + 7, $b.Length - 1))] | ForEach-Object { '{0:X2}' -f $_ }) -join ' ' }
        Fail ("schema -o s1.json ($($s1.Length) bytes) and schema > s2.json ($($s2.Length) bytes) differ from byte $at" +
              " (s1: $(& $hex $s1); s2: $(& $hex $s2))")
    }
    $committed = [System.IO.File]::ReadAllText((Join-Path $Repo 'configs/srtrain.schema.json')) -replace "`r`n", "`n"
    if ($StrictUtf8.GetString($s1) -replace "`r`n", "`n" -ne $committed) { Fail 'differs from configs/srtrain.schema.json' }
}

Step 'convert-config' {
    # A BasicSR ESRGAN option file, as tests/SrTrain.Tests/Config/BasicSrOptionFileTests.cs writes it, with the VGG-19
    # perceptual loss BasicSR ships (kept under losses.perceptual with BasicSR's layer names).
    $basicsr = @'
name: esrgan_style
model_type: ESRGANModel
scale: 4
num_gpu: 1
manual_seed: 5
datasets:
  train:
    name: sample
    type: PairedImageDataset
    dataroot_gt: datasets/sample/train
    dataroot_lq: ~
    io_backend:
      type: disk
    gt_size: 32
    use_flip: true
    use_rot: false
    num_worker_per_gpu: 1
    batch_size_per_gpu: 2
  val:
    name: sampleval
    type: PairedImageDataset
    dataroot_gt: datasets/sample/val
    dataroot_lq: ~
    io_backend:
      type: disk
network_g:
  type: RRDBNet
  num_in_ch: 3
  num_out_ch: 3
  num_feat: 8
  num_block: 1
network_d:
  type: UNetDiscriminatorSN
  num_in_ch: 3
  num_feat: 4
train:
  ema_decay: 0.9
  optim_g: {type: Adam, lr: !!float 2e-4, weight_decay: 0, betas: [0.9, 0.99]}
  optim_d: {type: Adam, lr: !!float 1e-4, weight_decay: 0, betas: [0.9, 0.99]}
  scheduler: {type: MultiStepLR, milestones: [2, 3], gamma: 0.5}
  total_iter: 4
  warmup_iter: -1
  pixel_opt: {type: L1Loss, loss_weight: !!float 1e-2, reduction: mean}
  perceptual_opt:
    type: PerceptualLoss
    layer_weights: {'conv5_4': 1}
    vgg_type: vgg19
    perceptual_weight: 0
  gan_opt: {type: GANLoss, gan_type: vanilla, loss_weight: !!float 5e-3}
val:
  val_freq: !!float 4
logger:
  print_freq: 2
  save_checkpoint_freq: !!float 2
'@
    [System.IO.File]::WriteAllText((W 'train_ESRGAN_x4.yml'), $basicsr)
    $r = Invoke-Srtrain @('convert-config', 'train_ESRGAN_x4.yml', '-o', 'converted.yaml') 60
    Assert-Success $r
    Assert-Path 'converted.yaml' $r
    $text = [System.IO.File]::ReadAllText((W 'converted.yaml'))
    if ($text -notmatch '(?m)^scale: 4\s*$') { Fail 'converted.yaml has no "scale: 4"' $r }
    if ($text -notmatch '(?m)^\s*total_steps: 4\s*$') { Fail 'converted.yaml has no "total_steps: 4" (from total_iter)' $r }
    if ($text -notmatch '(?m)^\s*vgg_type: vgg19\s*$' -or $text -notmatch 'conv5_4') { Fail 'converted.yaml lost the VGG-19 loss (vgg_type, conv5_4)' $r }
    if ($text -match 'NOT CONVERTED') { Fail 'converted.yaml lists a setting as not converted' $r }
}

Step 'train' {
    $r = Invoke-Srtrain @('train', '--config', 'configs/quickstart.yaml', '--name', 'smoke', '--set', 'train.total_steps=20',
        '--set', 'checkpoint.save_freq=10', '--set', 'val.val_freq=10', '--set', 'logger.print_freq=5') 600
    # Kept for the utf8 step: what srtrain wrote to its stdout, as a redirect to a file keeps it.
    [System.IO.File]::WriteAllBytes((W 'train-stdout.txt'), $r.StdoutBytes)
    Assert-Success $r
    Assert-Path 'runs/smoke/checkpoints/10' $r
    Assert-Path 'runs/smoke/checkpoints/20' $r
}

Step 'resume-exact' {
    # From an older step a resume branches into runs/<name>-from<step> (the parent is never touched) and continues
    # the parent's numbering to the same total: the same data, so the same losses and metrics within float rounding.
    $r = Invoke-Srtrain @('resume', '--run', 'runs/smoke', '--from', '10') 600
    Assert-Success $r
    Assert-Path 'runs/smoke-from10/checkpoints/20' $r
    $parent = Read-Metrics 'runs/smoke'
    $branch = Read-Metrics 'runs/smoke-from10'
    $compared = 0
    foreach ($want in @(@('train', 15), @('train', 20), @('val', 20))) {
        $a = Find-Record $parent $want[0] $want[1]
        $b = Find-Record $branch $want[0] $want[1]
        if ($null -eq $a -or $null -eq $b) { Fail "no $($want[0]) record at step $($want[1]) in both runs" $r }
        foreach ($key in $a.PSObject.Properties.Name | Where-Object { $_ -notin 'kind', 'step', 'it_per_s' }) {
            $x = [double]$a.$key
            $y = [double]$b.$key
            if ([Math]::Abs($x - $y) -gt 1e-6 * [Math]::Max([Math]::Abs($x), [Math]::Abs($y)) + 1e-12) {
                Fail "$($want[0]) step $($want[1]) ${key}: parent $x, branch $y" $r
            }
            $compared++
        }
    }
    if ($compared -lt 5) { Fail "only $compared values compared" $r }
}

Step 'resume-continue' {
    $r = Invoke-Srtrain @('resume', '--run', 'runs/smoke', '--set', 'train.total_steps=30') 600
    Assert-Success $r
    Assert-Path 'runs/smoke/checkpoints/30' $r
}

Step 'translational' {
    $r = Invoke-Srtrain @('resume', '--run', 'runs/smoke', '--from', '20', '--translational', '--set', 'train.total_steps=26') 600
    Assert-Success $r
    Assert-Path 'runs/smoke-from20-translational/checkpoints/26' $r
    $trans = @(Read-Metrics 'runs/smoke-from20-translational' |
        Where-Object { $_.kind -eq 'train' -and $_.step -gt 20 -and $_.PSObject.Properties.Name -contains 'l_g_trans' })
    if ($trans.Count -eq 0) { Fail 'no train record after step 20 with l_g_trans' $r }
    if (-not ([double]$trans[-1].l_g_trans -gt 0)) { Fail "l_g_trans is $($trans[-1].l_g_trans)" $r }
}

Step 'upscale' {
    $r = Invoke-Srtrain @('upscale', 'datasets/sample/val/chelsea.png', '-o', 'out', '--model', 'runs/smoke') 300
    Assert-Success $r
    Assert-Path 'out/chelsea_x4.png' $r
    $in = Get-PngSize 'datasets/sample/val/chelsea.png'
    $out = Get-PngSize 'out/chelsea_x4.png'
    if ($out[0] -ne 4 * $in[0] -or $out[1] -ne 4 * $in[1]) { Fail "out/chelsea_x4.png is $($out -join 'x'), input $($in -join 'x')" $r }
}

Step 'overwrite-case' {
    # On a case-blind file system (Windows, and Wine on Linux) the output for foo.png, ci/foo_x4.png, is the input
    # ci/Foo_x4.png: --overwrite replaces earlier results, never an input. On a case-sensitive one they differ.
    $null = New-Item -ItemType Directory -Path (W 'ci')
    Copy-Item -LiteralPath $SmallPhoto -Destination (W 'ci/foo.png')
    Copy-Item -LiteralPath $OtherPhoto -Destination (W 'ci/Foo_x4.png')
    $before = Get-Sha256 'ci/Foo_x4.png'
    $r = Invoke-Srtrain @('upscale', 'ci/foo.png', 'ci/Foo_x4.png', '-o', 'ci', '--overwrite', '--model', 'runs/smoke') 300
    if ($r.TimedOut -or $r.ExitCode -notin 0, 2) { Fail "exit code $($r.ExitCode)" $r }
    if ((Get-Sha256 'ci/Foo_x4.png') -ne $before) { Fail 'the input ci/Foo_x4.png was replaced' $r }
}

Step 'overwrite-link' {
    # outl is a link to inl (a junction on Windows, which needs no privilege; a symbolic link elsewhere), so the
    # output for inl/a.png, outl/a_x4.png, is the input inl/a_x4.png.
    $null = New-Item -ItemType Directory -Path (W 'inl')
    Copy-Item -LiteralPath $SmallPhoto -Destination (W 'inl/a.png')
    Copy-Item -LiteralPath $OtherPhoto -Destination (W 'inl/a_x4.png')
    $linkType = if ($IsWindows) { 'Junction' } else { 'SymbolicLink' }
    $null = New-Item -ItemType $linkType -Path (W 'outl') -Target (W 'inl')
    $before = Get-Sha256 'inl/a_x4.png'
    $r = Invoke-Srtrain @('upscale', 'inl/a.png', 'inl/a_x4.png', '-o', 'outl', '--overwrite', '--model', 'runs/smoke') 300
    if ($r.TimedOut -or $r.ExitCode -notin 0, 2) { Fail "exit code $($r.ExitCode)" $r }
    if ((Get-Sha256 'inl/a_x4.png') -ne $before) { Fail 'the input inl/a_x4.png was replaced through the link' $r }
    $errors = @($r.Output -split "`r?`n" | Where-Object { $_ -match ' (ERR|FTL) ' })
    if ($r.ExitCode -eq 2 -and $errors.Count -ne 1) { Fail "exit code 2 with $($errors.Count) error lines" $r }
}

Step 'dataset-link-loop' {
    # A data set with a link back to itself (a junction on Windows): each photo counts once, and the scan ends.
    $null = New-Item -ItemType Directory -Path (W 'loopdata')
    Copy-Item -LiteralPath (W 'datasets/sample/train/camera.png') -Destination (W 'loopdata/camera.png')
    Copy-Item -LiteralPath (W 'datasets/sample/train/coffee.png') -Destination (W 'loopdata/coffee.png')
    $linkType = if ($IsWindows) { 'Junction' } else { 'SymbolicLink' }
    $null = New-Item -ItemType $linkType -Path (W 'loopdata/again') -Target (W 'loopdata')
    $r = Invoke-Srtrain @('train', '--config', 'configs/quickstart.yaml', '--name', 'loop', '--set', 'train.total_steps=2',
        '--set', 'datasets.train.dataroot_gt=loopdata', '--set', 'val.val_freq=0', '--set', 'datasets.train.cache_images=false') 300
    Assert-Success $r
    if ($r.Output -notmatch 'Training data: 2 image\(s\)') { Fail 'the training data is not the 2 photos, once each' $r }
    if ($r.Output -notmatch 'Skipping \S*again') { Fail 'no warning about the link loop' $r }
}

Step 'eval' {
    $r = Invoke-Srtrain @('eval', '--model', 'runs/smoke', '--data', 'datasets/sample/val') 300
    Assert-Success $r
    if ($r.Output -notmatch 'psnr_y') { Fail 'no psnr_y in the output' $r }
}

Step 'report-live' {
    # report on a run that is still writing its metrics, log and TensorBoard files.
    $live = Start-Srtrain @('train', '--config', 'configs/quickstart.yaml', '--name', 'live', '--set', 'train.total_steps=100000',
        '--set', 'val.val_freq=10', '--set', 'checkpoint.save_freq=10')
    try {
        $wait = [System.Diagnostics.Stopwatch]::StartNew()
        while (-not (Test-Path -LiteralPath (W 'runs/live/metrics.jsonl')) -or
               -not @(Read-Metrics 'runs/live' | Where-Object { $_.kind -eq 'val' }).Count) {
            if ($live.Process.HasExited) { Fail "the training run exited ($($live.Process.ExitCode)) before its first validation" (Wait-Srtrain $live 10) }
            if ($wait.Elapsed.TotalSeconds -gt 180) { Fail 'no "val" record in runs/live/metrics.jsonl after 180 s' }
            Start-Sleep -Milliseconds 500
        }
        $r = Invoke-Srtrain @('report', 'runs/live', '-o', 'rep') 300
        Assert-Success $r
        Assert-Path 'rep/report.md' $r
        if ($live.Process.HasExited) { Fail "the training run exited ($($live.Process.ExitCode)) while report read it" (Wait-Srtrain $live 10) }
    }
    finally {
        if (-not $live.Process.HasExited) { $live.Process.Kill($true) }
        $null = Wait-Srtrain $live 60
    }
}

Step 'bench-infer' {
    # Short (2 timed steps, no peak probes): what counts here is the log's libtorch and cuDNN lines.
    $r = Invoke-Srtrain @('bench', '--infer', '--device', 'cpu', '--log-level', 'debug', '--steps', '2', '--warmup', '1', '--no-peaks') 300
    Assert-Success $r
    if ($r.Output -notmatch 'libtorch 2\.10') { Fail 'the log does not name libtorch 2.10' $r }
    if ($r.Output -notmatch 'cuDNN autotuner control: found') { Fail 'no "cuDNN autotuner control: found" in the debug log' $r }
}

Step 'msmpi-env' {
    # MS-MPI's mpiexec sets PMI_RANK and PMI_SIZE: srtrain either runs or says in one line that MPI is missing.
    $r = Invoke-Srtrain @('train', '--config', 'configs/quickstart.yaml', '--name', 'mpi', '--set', 'train.total_steps=2') 300 @{ PMI_RANK = '0'; PMI_SIZE = '2' }
    if ($r.TimedOut) { Fail 'timed out' $r }
    if ($r.ExitCode -eq 2) {
        $errors = @($r.Output -split "`r?`n" | Where-Object { $_ -match ' (ERR|FTL) ' })
        if ($errors.Count -ne 1) { Fail "exit code 2 with $($errors.Count) error lines" $r }
        if ($errors[0] -notmatch 'MPI') { Fail 'the error line does not mention MPI' $r }
        if ($r.Output -match '(?m)^\s+at ') { Fail 'a stack trace' $r }
    }
    elseif ($r.ExitCode -ne 0) { Fail "exit code $($r.ExitCode) (0, or 2 with one line, expected)" $r }
}

Step 'utf8' {
    # The train step's stdout as a redirect to a file keeps it: valid UTF-8, with the multiplication sign intact.
    $path = W 'train-stdout.txt'
    if (-not (Test-Path -LiteralPath $path)) { Fail 'no train-stdout.txt (the train step did not run)' }
    try { $text = $StrictUtf8.GetString([System.IO.File]::ReadAllBytes($path)) }
    catch { Fail "train's stdout is not valid UTF-8: $($_.Exception.Message)" }
    if (-not $text.Contains("pixel L1 ${Times}1")) { Fail "train's stdout has no 'pixel L1 ${Times}1' (U+00D7)" }
}

Write-Output ("Took {0:F0} s" -f $clock.Elapsed.TotalSeconds)
Write-Output "smoke: $($script:Passed) passed, $($script:Failed) failed"
exit ([int]($script:Failed -gt 0))
