using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SrTrain.Checkpoints;
using SrTrain.Runs;
using SrTrain.Tests.Interop;
using SrTrain.Tests.Support;
using Xunit.Abstractions;

namespace SrTrain.Tests.Cli;

/// <summary>The hostile-input corpus through the real `srtrain` program (issue 14): each crafted input must end in exit
/// code 2 with one error line naming the file or key and no stack trace, within bounded time and peak resident memory,
/// and must leave every file outside the output folder as it was.</summary>
[Trait("Speed", "process")]
public sealed class HostileInputCliTests : IDisposable
{
    /// <summary>Peak resident memory allowed for a refused input: the program itself (runtime and libtorch) takes
    /// about 250 MB.</summary>
    const long MaxPeakBytes = 1L << 30;

    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    readonly ITestOutputHelper _log;
    readonly TempDir _dir = new("srtrain-hostile-cli");

    public HostileInputCliTests(ITestOutputHelper log) => _log = log;

    public void Dispose() => _dir.Dispose();

    string P(string name) => _dir.File(name);

    string Photo(string name, int w = 24, int h = 20)
    {
        using var img = UpscaleCliHarness.PhotoCrop(w, h);
        img.Save(P(name));
        return P(name);
    }

    /// <summary>Every file under the test folder, except those under <paramref name="outputDir"/>, with its bytes.</summary>
    Dictionary<string, byte[]> Snapshot(string? outputDir = null) =>
        Directory.EnumerateFiles(_dir.Path, "*", SearchOption.AllDirectories)
            .Where(f => outputDir == null || !Path.GetFullPath(f).StartsWith(Path.GetFullPath(outputDir) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .ToDictionary(f => f, File.ReadAllBytes);

    (int Code, string Output, long Peak) Run(IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var (code, output, peak) = CliProcess.RunMeasured(_dir.Path, env, Timeout, args);
        _log.WriteLine($"srtrain {string.Join(' ', args.Select(a => a.Length > 60 ? a[..60] + "…" : a))}\nexit {code}, peak {peak >> 20} MB\n{output}");
        return (code, output, peak);
    }

    /// <summary>Exit 2, exactly one error line that contains <paramref name="expected"/>, no stack trace, no internal
    /// error, memory bounded.</summary>
    static void AssertRefused((int Code, string Output, long Peak) r, string expected)
    {
        Assert.Equal(2, r.Code);
        var errors = r.Output.Split('\n').Where(l => l.Contains(" ERR ") || l.Contains(" FTL ")).ToList();
        Assert.Single(errors);
        Assert.Contains(expected, errors[0]);
        Assert.DoesNotContain("   at ", r.Output);
        Assert.DoesNotContain("Internal error", r.Output);
        Assert.InRange(r.Peak, 1, MaxPeakBytes);
    }

    public static TheoryData<string> CraftedWeightFiles => new() { "self-dict", "stride0", "rrdb3000", "aliased-zip", "huge-entry" };

    [Theory]
    [MemberData(nameof(CraftedWeightFiles))]
    public void CraftedWeightFile_AsModel_ExitsWith2_InBoundedMemory_AndWritesNothing(string name)
    {
        var bytes = name switch
        {
            "self-dict" => HostileWeightFileTests.SelfContainingDict(),
            "stride0" => HostileWeightFileTests.StrideZeroTensor(),
            "rrdb3000" => HostileWeightFileTests.OversizedRrdbNet(),
            "aliased-zip" => HostileWeightFileTests.AliasedZipEntries(),
            _ => HostileWeightFileTests.HugeDeclaredEntry(),
        };
        File.WriteAllBytes(P(name + ".pth"), bytes);
        var photo = Photo("a.png");
        var before = Snapshot(P("out"));
        AssertRefused(Run(null, "upscale", photo, "--model", P(name + ".pth"), "-o", P("out")), name + ".pth");
        var after = Snapshot(P("out"));
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (file, content) in before) Assert.Equal(content, after[file]);
        Assert.False(Directory.Exists(P("out")) && Directory.EnumerateFileSystemEntries(P("out")).Any());
    }

    [Theory]
    [InlineData("nan.pth", float.NaN, "NaN or infinite")]
    [InlineData("huge.safetensors", 1e30f, "not finite")]
    public void BrokenModel_ExitsWith2_AndWritesNoImage(string name, float value, string expected)
    {
        // NaN weights, or finite ones so large that the output overflows (a diverged run's checkpoint), once gave
        // black or garbage images with exit code 0.
        HostileWeightFileTests.WriteBrokenGenerator(P(name), value);
        var photo = Photo("a.png");
        AssertRefused(Run(null, "upscale", photo, "--model", P(name), "-o", P("out")), expected);
        Assert.False(File.Exists(P("out/a_x4.png")));
    }

    [Fact]
    public void PngDeclaring20000x20000_IsRefusedBeforeDecoding_AndTheRestOfTheBatchIsWritten()
    {
        File.WriteAllBytes(P("bomb.png"), HostileFiles.PngHeaderBomb(20000, 20000));
        var photo = Photo("good.png");
        var r = Run(null, "upscale", P("bomb.png"), photo, "--model", UpscaleCliHarness.RrdbX4, "-o", P("out"));
        AssertRefused(r, "bomb.png");
        Assert.Contains("SRTRAIN_MAX_IMAGE_PIXELS", r.Output);
        Assert.True(File.Exists(P("out/good_x4.png")));
        Assert.False(File.Exists(P("out/bomb_x4.png")));
    }

    [Fact]
    public void JpegCutAt70Percent_IsRefusedByUpscale()
    {
        using (var img = UpscaleCliHarness.PhotoCrop(32, 24)) img.SaveAsJpeg(P("whole.jpg"));
        var whole = File.ReadAllBytes(P("whole.jpg"));
        File.WriteAllBytes(P("cut.jpg"), whole[..(whole.Length * 7 / 10)]);
        AssertRefused(Run(null, "upscale", P("cut.jpg"), "--model", UpscaleCliHarness.RrdbX4, "-o", P("out")), "truncated");
        Assert.False(File.Exists(P("out/cut_x4.jpg")));
    }

    [Fact]
    public void OverwriteNeverReplacesAnotherInput()
    {
        // `upscale a.png a_x4.png --overwrite`: a.png's result would land on the input a_x4.png before it is read.
        Photo("a.png");
        var other = Photo("a_x4.png", 16, 16);
        var original = File.ReadAllBytes(other);
        var r = Run(null, "upscale", P("a.png"), other, "--overwrite", "--model", UpscaleCliHarness.RrdbX4);
        AssertRefused(r, "is the input");
        Assert.Equal(original, File.ReadAllBytes(other));
        Assert.True(File.Exists(P("a_x4_x4.png")));
    }

    [Theory]
    [InlineData("a/../../../victim/chelsea")]
    [InlineData("/abs")]
    [InlineData("..")]
    [InlineData("a\\b")]
    public void SuffixWithASeparatorOrDotDot_IsRefused_AndNothingOutsideTheOutputFolderChanges(string suffix)
    {
        // `--suffix "a/../../../victim/chelsea" --overwrite` once replaced an unrelated image outside -o, exit 0.
        Directory.CreateDirectory(P("victim"));
        Photo("victim/chelsea.png", 16, 16);
        Directory.CreateDirectory(P("in"));
        using (var img = UpscaleCliHarness.PhotoCrop(24, 20)) img.Save(P("in/x.png"));
        var before = Snapshot(P("out"));
        AssertRefused(Run(null, "upscale", P("in/x.png"), "-o", P("out/suf"), "--suffix", suffix, "--overwrite", "--model", UpscaleCliHarness.RrdbX4),
            "--suffix");
        var after = Snapshot(P("out"));
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (file, content) in before) Assert.Equal(content, after[file]);
        Assert.False(Directory.Exists(P("out")));
    }

    [Fact]
    public void OutputThroughALinkToTheInputFolder_NeverReplacesTheInput()
    {
        Directory.CreateDirectory(P("in"));
        var photo = Path.Combine(P("in"), "a.png");
        using (var img = UpscaleCliHarness.PhotoCrop(24, 20)) img.Save(photo);
        Directory.CreateSymbolicLink(P("link"), P("in")); // a folder link (on Windows a file link to a folder is no folder)
        var original = File.ReadAllBytes(photo);
        AssertRefused(Run(null, "upscale", photo, "-o", Path.Combine(P("link"), "a.png"), "--overwrite", "--model", UpscaleCliHarness.RrdbX4),
            "replace the input");
        Assert.Equal(original, File.ReadAllBytes(photo));
    }

    [Fact]
    public void RunFolderModel_WithADamagedGenerator_IsRefusedByItsManifestHash()
    {
        var checkpoints = Path.Combine(P("runs"), "r", "checkpoints");
        Directory.CreateDirectory(checkpoints);
        var store = new CheckpointStore(checkpoints);
        store.Save(10, folder => File.Copy(UpscaleCliHarness.RrdbX4, Path.Combine(folder, SrTrain.Checkpoints.CheckpointFiles.GeneratorEmaPth)));
        var pth = Path.Combine(store.PathFor(10), SrTrain.Checkpoints.CheckpointFiles.GeneratorEmaPth);
        var bytes = File.ReadAllBytes(pth);
        bytes[^200] ^= 0x40; // inside the last tensor's data: the file still loads, with a wrong weight
        File.WriteAllBytes(pth, bytes);
        var photo = Photo("a.png");
        AssertRefused(Run(null, "upscale", photo, "--model", Path.Combine(P("runs"), "r"), "-o", P("out")), "SHA-256");
        Assert.False(File.Exists(P("out/a_x4.png")));
    }

    [Fact]
    public void GeneratorDroppedFromItsManifest_AndReplaced_IsRefused_AndTheRunFallsBackWithAWarning()
    {
        // Removing net_g_ema.pth's manifest entry once let a replaced file through (black output, exit 0), and the
        // fall-back to an older checkpoint showed only its name.
        var checkpoints = Path.Combine(P("runs"), "r", "checkpoints");
        var store = new CheckpointStore(checkpoints);
        foreach (long step in new long[] { 10, 20 })
            store.Save(step, folder => File.Copy(UpscaleCliHarness.RrdbX4, Path.Combine(folder, SrTrain.Checkpoints.CheckpointFiles.GeneratorEmaPth)));
        var folder20 = store.PathFor(20);
        var manifest = Path.Combine(folder20, CheckpointManifest.FileName);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))!;
        var files = json["files"]!.AsArray();
        files.Remove(files.First(f => (string?)f!["path"] == SrTrain.Checkpoints.CheckpointFiles.GeneratorEmaPth));
        File.WriteAllText(manifest, json.ToJsonString());
        File.Copy(UpscaleCliHarness.RrdbX2, Path.Combine(folder20, SrTrain.Checkpoints.CheckpointFiles.GeneratorEmaPth), overwrite: true);
        var photo = Photo("a.png");

        AssertRefused(Run(null, "upscale", photo, "--model", folder20, "-o", P("out")), "not listed in its manifest.json");
        Assert.False(File.Exists(P("out/a_x4.png")));

        var r = Run(null, "upscale", photo, "--model", Path.Combine(P("runs"), "r"), "-o", P("out"));
        Assert.Equal(0, r.Code);
        var warning = Assert.Single(r.Output.Split('\n'), l => l.Contains(" WRN ") && l.Contains("names step 20"));
        Assert.Contains("not listed", warning);
        Assert.Contains("using the newest complete checkpoint 10", warning);
        Assert.Contains("run r, checkpoint 10", r.Output);
        Assert.True(File.Exists(P("out/a_x4.png")));
    }

    [Theory]
    [InlineData("brackets")]
    [InlineData("mappings")]
    public void DeeplyNestedYaml_ExitsWith2_InsteadOfOverflowingTheStack(string kind)
    {
        // 201 KB of `[[[…` (or of nested mappings) once killed the process with a 44,000-line stack overflow.
        var text = kind == "brackets"
            ? new string('[', 100_000) + new string(']', 100_000)
            : string.Concat(Enumerable.Range(0, 1000).Select(i => new string(' ', i) + "a:\n"));
        File.WriteAllText(P("deep.yaml"), text);
        AssertRefused(Run(null, "train", "--config", P("deep.yaml")), "deep.yaml");
        Assert.False(Directory.Exists(P("runs")));
    }

    [Theory]
    [InlineData("datasets:\n  train:\n    batch_size: 2e9\n", "datasets.train.batch_size")]
    [InlineData("network_g:\n  num_feat: 2e9\n", "network_g.num_feat")]
    [InlineData("datasets:\n  train:\n    gt_size: 1000000\n", "datasets.train.gt_size")]
    public void HugeConfigValues_ExitWith2_AtStartUp(string yaml, string key)
    {
        File.WriteAllText(P("huge.yaml"), "name: huge\n" + yaml);
        var r = Run(null, "train", "--config", P("huge.yaml"));
        AssertRefused(r, key);
        Assert.Contains("SRTRAIN_ALLOW_LARGE_CONFIG", r.Output);
        Assert.False(Directory.Exists(P("runs")));
    }

    [Fact]
    public void RunNameOf300Characters_ExitsWith2()
    {
        File.WriteAllText(P("c.yaml"), "name: ok\n");
        AssertRefused(Run(null, "train", "--config", P("c.yaml"), "--name", new string('n', 300)), "'name'");
        Assert.False(Directory.Exists(P("runs")));
    }

    [Fact]
    public void RunNameWithANewline_ExitsWith2()
    {
        File.WriteAllText(P("c.yaml"), "name: ok\n");
        AssertRefused(Run(null, "train", "--config", P("c.yaml"), "--name", "two\nlines"), "'name' must not contain control characters");
        Assert.False(Directory.Exists(P("runs")));
    }

    [UnixFact("SIGTERM sent with kill(1)")]
    public void StopRequestOutsideATrainingStep_ExitsAfterTheGracePeriod()
    {
        // A SIGTERM while upscale works through one large image used to wait for the image to finish; now the program
        // exits once the grace period (lowered to 1 s) has passed, writing nothing partial. The image is large enough
        // (1200², ~100 tiles) that an idle machine is still working on it well after the grace period.
        using (var img = new Image<Rgb24>(1200, 1200))
        {
            for (int y = 0; y < 1200; y++)
                for (int x = 0; x < 1200; x++)
                    img[x, y] = new Rgb24((byte)(x * 7 + y * 3), (byte)(x ^ y), (byte)(y * 5));
            img.Save(P("large.png"));
        }
        var env = new Dictionary<string, string> { ["SRTRAIN_STOP_GRACE_S"] = "1" };
        using var p = new CliProcess(_dir.Path, env, "upscale", P("large.png"), "--model", UpscaleCliHarness.RrdbX4, "--tile", "64", "-o", P("out"),
            "--log-level", "verbose");
        Assert.True(p.WaitForOutput("tile 1/", TimeSpan.FromMinutes(1)), p.Output);
        p.Signal("TERM");
        int code = p.WaitForExit(TimeSpan.FromSeconds(60));
        _log.WriteLine(p.Output);
        Assert.Equal(130, code);
        Assert.Contains("Stop requested (SIGTERM)", p.Output);
        Assert.Contains("no safe point reached within 1 s", p.Output);
        Assert.DoesNotContain("   at ", p.Output);
        Assert.False(Directory.Exists(P("out")) && Directory.EnumerateFiles(P("out")).Any());
    }

    [Fact]
    public void SecondWriterOfARun_IsRefused_NamingTheFirst()
    {
        // Two `train --name dual --auto-resume` 0.3 s apart, or `resume --run R` while R trained, once both trained
        // into one folder with exit 0, and metrics.jsonl lost records.
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("dual", "checkpoint: {save_freq: 5}\nval: {val_freq: 0}\n", totalSteps: 100000);
        var runDir = Path.Combine(t.RunsDir, "dual");
        using var first = new CliProcess(t.Dir, "train", "--config", cfg, "--auto-resume");
        try
        {
            Assert.True(first.WaitForOutput("Saved checkpoint", TimeSpan.FromMinutes(2)), first.Output);
            var metricsBefore = File.ReadAllBytes(Path.Combine(runDir, "metrics.jsonl"));
            foreach (var args in new[] { new[] { "train", "--config", cfg, "--auto-resume" }, ["resume", "--run", runDir] })
            {
                var r = CliProcess.RunMeasured(t.Dir, null, Timeout, args);
                _log.WriteLine(r.Output);
                AssertRefused(r, $"in use by another srtrain process (PID {first.Pid} on {Environment.MachineName}");
            }
            // The refused ones wrote nothing into the run: its metrics only grew by the first process's own lines.
            Assert.Equal(metricsBefore, File.ReadAllBytes(Path.Combine(runDir, "metrics.jsonl"))[..metricsBefore.Length]);
        }
        finally
        {
            first.Signal("INT");
            first.WaitForExit(TimeSpan.FromMinutes(1));
        }
        // The lock went with the process: the run continues.
        using var released = RunLock.TryAcquire(runDir, out var holder);
        Assert.True(released != null, holder);
    }

    /// <summary>A run folder with checkpoint 10 (the reference RRDBNet x4) and its metrics, config and lineage.</summary>
    string SmallRun()
    {
        var runDir = Path.Combine(P("runs"), "r");
        var store = new CheckpointStore(Path.Combine(runDir, "checkpoints"));
        store.Save(10, folder => File.Copy(UpscaleCliHarness.RrdbX4, Path.Combine(folder, SrTrain.Checkpoints.CheckpointFiles.GeneratorEmaPth)));
        File.WriteAllText(Path.Combine(runDir, "config.yml"), "name: r\n");
        File.WriteAllText(Path.Combine(runDir, "metrics.jsonl"), "{\"kind\":\"val\",\"step\":10,\"psnr_y\":20}\n");
        return runDir;
    }

    [Fact]
    public void Fifos_AsInputConfigOrCheckpointPointer_NeverHang()
    {
        // Each of these once hung until the 60-s grace timer, and SIGTERM did not help: opening a FIFO blocks.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        HostileFiles.MakeFifo(P("pipe.png"));
        var photo = Photo("good.png");
        AssertRefused(Run(null, "upscale", P("pipe.png"), photo, "--model", UpscaleCliHarness.RrdbX4, "-o", P("out")), "pipe.png: is a FIFO");
        Assert.True(File.Exists(P("out/good_x4.png")));

        HostileFiles.MakeFifo(P("pipe.yaml"));
        AssertRefused(Run(null, "train", "--config", P("pipe.yaml")), "pipe.yaml: is a FIFO");

        var runDir = SmallRun();
        var latest = Path.Combine(runDir, "checkpoints", CheckpointStore.LatestFileName);
        File.Delete(latest);
        HostileFiles.MakeFifo(latest);
        var r = Run(null, "upscale", photo, "--model", runDir, "-o", P("out2"));
        Assert.Equal(0, r.Code);
        Assert.Contains("using the newest complete checkpoint 10", r.Output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(50), $"took {clock.Elapsed}");
    }

    [Fact]
    public void RunFilesLinkedToDevUrandom_AreReadWithinBounds()
    {
        // checkpoints/latest or run.json linked to /dev/urandom once read 4.3 GB, then exit 3.
        var runDir = SmallRun();
        var latest = Path.Combine(runDir, "checkpoints", CheckpointStore.LatestFileName);
        File.Delete(latest);
        File.CreateSymbolicLink(latest, "/dev/urandom");
        var photo = Photo("a.png");
        var r = Run(null, "upscale", photo, "--model", runDir, "-o", P("out"));
        Assert.Equal(0, r.Code);
        Assert.Contains("using the newest complete checkpoint 10", r.Output);
        Assert.InRange(r.Peak, 1, MaxPeakBytes);

        File.CreateSymbolicLink(Path.Combine(runDir, "run.json"), "/dev/urandom");
        AssertRefused(Run(null, "report", runDir, "-o", P("report")), "run.json");
        File.Delete(Path.Combine(runDir, "run.json"));
        File.Delete(Path.Combine(runDir, "metrics.jsonl"));
        File.CreateSymbolicLink(Path.Combine(runDir, "metrics.jsonl"), "/dev/urandom");
        AssertRefused(Run(null, "report", runDir, "-o", P("report")), "metrics.jsonl");
    }

    [Theory]
    [InlineData("/proc")]
    [InlineData("/dev/null")]
    [InlineData("under-a-file/runs")]
    public void RunsDirThatCannotHoldRuns_ExitsWith2_NotAsABug(string runsDir)
    {
        using var t = new TrainingTestRun();
        File.WriteAllText(Path.Combine(t.Dir, "under-a-file"), "x");
        var cfg = t.WriteConfig("envfault", "val: {val_freq: 0}\n", totalSteps: 2);
        var r = CliProcess.RunMeasured(t.Dir, null, Timeout, "train", "--config", cfg, "--set", $"runs_dir={runsDir}");
        _log.WriteLine(r.Output);
        AssertRefused(r, runsDir);
    }

    [Fact]
    public void SchemaToAFullDevice_OrAClosedStandardOutput_ExitsWith2()
    {
        AssertRefused(Run(null, "schema", "-o", "/dev/full", "--overwrite"), "No space left on device");

        // `srtrain schema >&-`: the error can only go to stderr. Help text likewise.
        foreach (var command in new[] { "schema", "--help" })
            AssertStdoutClosedRefused(command);
    }

    void AssertStdoutClosedRefused(string command)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("sh", ["-c", $"exec \"$0\" {command} >&-", CliProcess.Executable])
        {
            RedirectStandardError = true,
            WorkingDirectory = _dir.Path,
        };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(1)));
        _log.WriteLine(stderr);
        Assert.Equal(2, p.ExitCode);
        Assert.Contains("cannot write to the standard output", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RunsDirInsideTheTrainingData_IsRefused_BeforeAnythingIsWritten(bool throughALink)
    {
        // The next run silently trained on the previous run's validation images.
        using var t = new TrainingTestRun();
        var data = Path.Combine(t.Dir, "data");
        Directory.CreateDirectory(data);
        foreach (var f in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "TestData", "Training", "train")))
            File.Copy(f, Path.Combine(data, Path.GetFileName(f)));
        string runsDir = Path.Combine(data, "runs");
        if (throughALink)
        {
            Directory.CreateSymbolicLink(Path.Combine(t.Dir, "elsewhere"), data);
            runsDir = Path.Combine(t.Dir, "elsewhere", "runs");
        }
        var cfg = t.WriteConfig("inside", $"runs_dir: \"{runsDir}\"\ndatasets:\n  train:\n    dataroot_gt: \"{data}\"\n", totalSteps: 2);
        var r = CliProcess.RunMeasured(t.Dir, null, Timeout, "train", "--config", cfg);
        _log.WriteLine(r.Output);
        AssertRefused(r, "'runs_dir'");
        Assert.Contains("inside 'datasets.train.dataroot_gt'", r.Output);
        Assert.False(Directory.Exists(Path.Combine(data, "runs")));
    }

    [Fact]
    public void Threads_AreCappedToTheCores_AndNegativeIsRefused()
    {
        // --threads 100000 started thousands of threads and hung the machine; -1 silently meant all cores.
        var photo = Photo("a.png");
        AssertRefused(Run(null, "upscale", photo, "--model", UpscaleCliHarness.RrdbX4, "-o", P("out"), "--threads", "-1"), "--threads -1");
        Assert.False(Directory.Exists(P("out")));
        var r = Run(null, "upscale", photo, "--model", UpscaleCliHarness.RrdbX4, "-o", P("out"), "--threads", "100000");
        Assert.Equal(0, r.Code);
        Assert.Contains($"--threads 100000: more than this machine's {Environment.ProcessorCount} cores; using {Environment.ProcessorCount}", r.Output);
        Assert.Contains($"{Environment.ProcessorCount} CPU threads", r.Output);
        Assert.True(File.Exists(P("out/a_x4.png")));
    }

    [Fact]
    public void NestingLimitAtItsMaximum_StillRefusesA99000DeepConfig_Quickly()
    {
        // SRTRAIN_MAX_NESTING=100000 was accepted, and a 99,000-deep YAML then ran past 120 s (quadratic in the depth).
        File.WriteAllText(P("deep.yaml"), "name: x\nv: " + new string('[', 99_000) + new string(']', 99_000) + "\n");
        AssertRefused(Run(new Dictionary<string, string> { ["SRTRAIN_MAX_NESTING"] = "100000" }, "train", "--config", P("deep.yaml")),
            "SRTRAIN_MAX_NESTING=100000 must be a whole number from 4 to 1000");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        AssertRefused(Run(new Dictionary<string, string> { ["SRTRAIN_MAX_NESTING"] = "1000" }, "train", "--config", P("deep.yaml")),
            "nests deeper than 1000 levels");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.False(Directory.Exists(P("runs")));
    }

    [Fact]
    public void MistypedLimitVariable_ExitsWith2_NamingIt()
    {
        var photo = Photo("a.png");
        var env = new Dictionary<string, string> { ["SRTRAIN_MAX_IMAGE_PIXELS"] = "lots" };
        AssertRefused(Run(env, "upscale", photo, "--model", UpscaleCliHarness.RrdbX4, "-o", P("out")), "SRTRAIN_MAX_IMAGE_PIXELS=lots");
    }
}
