using SixLabors.ImageSharp;
using SrTrain.Config;
using SrTrain.Runs;
using SrTrain.Tests.Support;
using SrTrain.Training;

namespace SrTrain.Tests.Cli;

/// <summary>Issue 17's "silent surprises", each through the real program: what the user typed happens, or one line
/// (exit code 2) says why not.</summary>
[Trait("Speed", "process")]
public class CliNoSurprisesTests
{
    static readonly string SrVgg = Path.Combine(AppContext.BaseDirectory, "TestData", "Inference", "srvgg_x4_nf16_nc4_quickstart.pth");
    static readonly string Photo = Path.Combine(AppContext.BaseDirectory, "TestData", "Inference", "chelsea_lqx4.png");

    static void AssertOneErrorLine(string output)
    {
        Assert.True(output.Trim().Split('\n').Length == 1, output);
        Assert.Contains(" ERR ", output);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Usage:", output);
        Assert.DoesNotContain("System.", output);
    }

    // End to end for two cases (the exit code, and that nothing runs); CommandLineProblemsTests checks the messages.
    [Theory]
    [InlineData("upscale", "photos", "--overwite")]
    [InlineData("eval", "--data", "d", "--model", "a", "--modle", "b")]
    public void UnknownOption_IsOneLine_WithDidYouMean_ExitCode2_AndNothingRuns(params string[] args)
    {
        using var dir = new TempDir("srtrain-cli");
        var (code, output) = CliProcess.Run(dir.Path, args);
        Assert.Equal(2, code);
        AssertOneErrorLine(output);
        Assert.Contains("unknown option '" + args.First(a => a.StartsWith("--") && a is not "--config" and not "--data" and not "--model"), output);
        Assert.Contains("did you mean", output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public void RealEsrganCommandLine_UsesTheNamedModel_NotTheNewestRun()
    {
        // `-i photos -o results -n model.pth` was read as three input paths and upscaled with the newest run.
        using var dir = new TempDir("srtrain-cli");
        Directory.CreateDirectory(dir.File("photos"));
        File.Copy(Photo, dir.File("photos", "cat.png"));
        File.Copy(SrVgg, dir.File("model.pth"));
        var (code, output) = CliProcess.Run(dir.Path, "upscale", "-i", "photos", "-o", "results", "-n", "model.pth", "--device", "cpu");
        Assert.True(code == 0, output);
        Assert.Contains("Model: model.pth", output);
        Assert.True(File.Exists(dir.File("results", "cat_x4.png")), output);
    }

    [Fact]
    public void RealEsrganFlags_OutscaleSuffixExtTileAndTilePad_DoWhatRealEsrganDoes()
    {
        using var dir = new TempDir("srtrain-cli");
        Directory.CreateDirectory(dir.File("weights"));
        File.Copy(SrVgg, dir.File("weights", "MyModel.pth"));
        var info = Image.Identify(Photo);
        // -n NAME reads weights/NAME.pth, as Real-ESRGAN's script does; -s 3.5 with an x4 model resizes its output.
        var (code, output) = CliProcess.Run(dir.Path, "upscale", "-i", Photo, "-o", "out", "-n", "MyModel", "-s", "3.5",
            "--suffix", "out", "--ext", "webp", "-t", "32", "--tile-pad", "4", "--device", "cpu");
        Assert.True(code == 0, output);
        var result = dir.File("out", "chelsea_lqx4_out.webp");
        var outInfo = Image.Identify(result, out var format);
        Assert.Equal("WEBP", format.Name.ToUpperInvariant());
        Assert.Equal((int)(info.Width * 3.5), outInfo.Width);
        Assert.Equal((int)(info.Height * 3.5), outInfo.Height);

        // --half on the CPU computes in float32 and says so, rather than failing or pretending.
        (code, output) = CliProcess.Run(dir.Path, "upscale", Photo, "-o", "half", "-n", "MyModel", "--half", "--device", "cpu");
        Assert.True(code == 0, output);
        Assert.Contains("--half: float16 is for CUDA", output);
        Assert.True(File.Exists(dir.File("half", "chelsea_lqx4_x4.png")));

        // Real-ESRGAN's underscore spellings work too; an empty --suffix keeps the input's name.
        (code, output) = CliProcess.Run(dir.Path, "upscale", "--input", Photo, "--output", "same", "--model_path", dir.File("weights", "MyModel.pth"),
            "--tile_pad", "2", "--suffix", "", "--device", "cpu");
        Assert.True(code == 0, output);
        Assert.True(File.Exists(dir.File("same", "chelsea_lqx4.png")));
    }

    [Fact]
    public void ParseError_IsOneLine_ExitCode2_WithoutHelpOrTypeNames()
    {
        using var dir = new TempDir("srtrain-cli");
        var (code, output) = CliProcess.Run(dir.Path, "upscale", "a.png", "--tile", "abc");
        Assert.Equal(2, code);
        AssertOneErrorLine(output);
        Assert.Contains("--tile: 'abc' is not a whole number", output);

        (code, output) = CliProcess.Run(dir.Path, "trian");
        Assert.Equal(2, code);
        AssertOneErrorLine(output);
        Assert.Contains("did you mean 'train'?", output);
    }

    [Fact]
    public void Train_WithMissingDataFolderAndPretrainFile_NamesBoth_AndLeavesNoRunFolder_SoTheFixedRerunWorks()
    {
        using var t = new TrainingTestRun();
        var good = t.WriteConfig("typo", totalSteps: 2);
        var text = File.ReadAllText(good);
        var bad = Path.Combine(t.Dir, "bad.yaml");
        // The written config double-quotes its strings, so a Windows path's backslashes appear doubled.
        var data = Path.Combine(AppContext.BaseDirectory, "TestData", "Training", "train").Replace("\\", "\\\\");
        File.WriteAllText(bad, text.Replace("\"" + data + "\"", "\"no/such/folder\"")
            .Replace("pretrain_network_g: \"\"", "pretrain_network_g: \"~/no-such-weights.pth\""));
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", bad);
        Assert.Equal(2, code);
        AssertOneErrorLine(output);
        Assert.Contains("'datasets.train.dataroot_gt': folder no/such/folder", output);
        Assert.Contains("relative to the working folder", output);
        Assert.Contains($"'path.pretrain_network_g': file {Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "no-such-weights.pth")} not found", output);
        Assert.False(Directory.Exists(Path.Combine(t.RunsDir, "typo")));

        // A failure the pre-flight check cannot see (a folder without images) also leaves no folder behind.
        var empty = Directory.CreateDirectory(Path.Combine(t.Dir, "empty")).FullName;
        File.WriteAllText(bad, text.Replace(Path.Combine(AppContext.BaseDirectory, "TestData", "Training", "train"), empty));
        (code, output) = CliProcess.Run(t.Dir, "train", "--config", bad);
        Assert.Equal(2, code);
        Assert.False(Directory.Exists(Path.Combine(t.RunsDir, "typo")), output);

        (code, output) = CliProcess.Run(t.Dir, "train", "--config", good);
        Assert.True(code == 0, output);
    }

    [Fact]
    public void DefaultRunOrModel_IsNamedInOneLine_BeforeAnyWork()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("newest", "val: {val_freq: 0}\n", totalSteps: 2);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg, "--set", $"runs_dir={Path.Combine(t.Dir, "runs")}");
        Assert.True(code == 0, output);

        (code, output) = CliProcess.Run(t.Dir, "upscale", Photo, "-o", "up", "--device", "cpu");
        Assert.True(code == 0, output);
        var first = output.Split('\n')[0];
        Assert.Contains("No --model given: using run newest, checkpoint 2, the most recently written run", first);

        (code, output) = CliProcess.Run(t.Dir, "resume", "--set", "train.total_steps=3");
        Assert.True(code == 0, output);
        Assert.Contains("No --run given: resuming " + Path.Combine(t.RunsDir, "newest"), output.Split('\n')[0]);
    }

    [Fact]
    public void ARunTrainedWithAnotherRunsDir_IsFoundWithRunsDir_ByUpscaleResumeAndEval()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("elsewhere", "val: {val_freq: 0}\n", totalSteps: 2);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg, "--set", "runs_dir=experiments");
        Assert.True(code == 0, output);
        var run = Path.Combine(t.Dir, "experiments", "elsewhere");
        Assert.True(Directory.Exists(run), output);

        // Without --runs-dir only runs/ is looked in, and the one-line error says what to give.
        (code, output) = CliProcess.Run(t.Dir, "upscale", Photo, "-o", "up", "--device", "cpu");
        Assert.Equal(2, code);
        AssertOneErrorLine(output);
        Assert.Contains("--runs-dir", output);

        (code, output) = CliProcess.Run(t.Dir, "upscale", Photo, "-o", "up", "--device", "cpu", "--runs-dir", "experiments");
        Assert.True(code == 0, output);
        Assert.Contains("No --model given: using run elsewhere, checkpoint 2, the most recently written run under " +
                        Path.Combine(t.Dir, "experiments"), output.Split('\n')[0]);
        Assert.True(File.Exists(Path.Combine(t.Dir, "up", "chelsea_lqx4_x4.png")), output);

        (code, output) = CliProcess.Run(t.Dir, "resume", "--runs-dir", "experiments", "--set", "train.total_steps=3");
        Assert.True(code == 0, output);
        Assert.Contains("No --run given: resuming " + run, output.Split('\n')[0]);
        Assert.Equal("3", File.ReadAllText(Path.Combine(run, "checkpoints", "latest")).Trim());

        (code, output) = CliProcess.Run(t.Dir, "eval", "--data", t.Dir, "--runs-dir", "no-such-runs");
        Assert.Equal(2, code);
        AssertOneErrorLine(output);
        Assert.Contains(Path.Combine(t.Dir, "no-such-runs"), output);
    }

    [Fact]
    public void ReportAndEval_RefuseToOverwrite_WithoutOverwrite_LikeTrainAndUpscale()
    {
        using var dir = new TempDir("srtrain-cli");
        File.WriteAllText(dir.File("e.csv"), "keep");
        var (code, output) = CliProcess.Run(dir.Path, "eval", "--model", SrVgg, "--data", dir.Path, "--csv", "e.csv");
        Assert.Equal(2, code);
        AssertOneErrorLine(output);
        Assert.Contains("e.csv exists: give --overwrite", output);
        Assert.Equal("keep", File.ReadAllText(dir.File("e.csv")));

        Directory.CreateDirectory(dir.File("rep"));
        File.WriteAllText(dir.File("rep", "report.md"), "keep");
        (code, output) = CliProcess.Run(dir.Path, "report", "runs/x", "-o", "rep");
        Assert.Equal(2, code);
        Assert.Contains("report.md exists: give --overwrite", output);
        Assert.Equal("keep", File.ReadAllText(dir.File("rep", "report.md")));
    }

    [Fact]
    public void ShiftErr_IsLoggedWithFourSignificantDigits()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("digits", totalSteps: 2);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg, "--set", "val.val_freq=2");
        Assert.True(code == 0, output);
        var line = output.Split('\n').First(l => l.Contains("Validation at step 2"));
        var value = line.Split("shift_err ")[1].Split(' ')[0].Trim();
        // e.g. 3.512e-4 or 0.01234: never 0.0004.
        Assert.Matches(@"^(\d\.\d{3}e-?\d+|0\.0\d{3,}|\d+\.\d+)$", value);
        Assert.Contains(MetricsLog.Read(Path.Combine(t.RunsDir, "digits")), r => r.Kind == "val");
    }

    [Fact]
    public void UnexpectedErrorDuringTraining_SaysHowToResume()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("crash", "val: {val_freq: 30}\ncheckpoint: {save_freq: 10}\n", totalSteps: 40);
        var run = Path.Combine(t.RunsDir, "crash");
        Directory.CreateDirectory(run);
        // A file where the validation images' folder goes: validation at step 30 fails with an I/O error SrTrain does
        // not expect, after checkpoints 10 and 20 (the one at 30 comes after validation). An I/O error is the
        // environment's (exit 2, not 3: issue 23), and still ends with how to go on.
        File.WriteAllText(Path.Combine(run, "val_images"), "");
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg, "--auto-resume");
        Assert.Equal(2, code);
        Assert.DoesNotContain("Internal error", output);
        var last = output.Trim().Split('\n')[^1];
        Assert.Contains($"to continue: srtrain resume --run {run} (from checkpoint 20)", last);
    }

    [Fact]
    public void Eta_BeforeTheGanPhase_EstimatesItFromTheStartupProbe_AndSaysApproximately()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("eta", "val: {val_freq: 0}\nlogger: {print_freq: 5}\ncheckpoint: {save_freq: 10}\nlosses: {gan: {weight: 0.1, start_step: 15}}\n", totalSteps: 20);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg);
        Assert.True(code == 0, output);
        Assert.Contains("ETA probe (networks' passes per step, timed once): from the start ", output);
        var step10 = output.Split('\n').First(l => l.Contains("Step 10/20"));
        Assert.Contains("ETA ≈", step10);
        Assert.DoesNotContain("not timed yet", output);
        Assert.DoesNotContain("ETA ≈", output.Split('\n').First(l => l.Contains("Step 20/20")));

        // A branch from step 10 knows the GAN phase's cost from its parent's log.
        (code, output) = CliProcess.Run(t.Dir, "resume", "--run", Path.Combine(t.RunsDir, "eta"), "--from", "10", "--name", "eta-b");
        Assert.True(code == 0, output);
        Assert.DoesNotContain("not timed yet", output.Split('\n').First(l => l.Contains("Step 15/20")));
    }

    [Fact]
    public void ProgressMeter_Eta_LeavesOutTheSlowFirstStep_AndNamesAPhaseNotTimedYet()
    {
        double now = 0;
        var meter = new ProgressMeter(0, 200, new Dictionary<long, string> { [100] = "GAN" }, () => now);
        now = 30; meter.Tick(1);                         // the first step: 30 s of warm-up
        for (int s = 2; s <= 50; s++) { now += 0.1; meter.Tick(s); }
        Assert.Equal(10, meter.ItersPerSecond, 6);
        Assert.Equal("≥0m05s (+ GAN phase from step 100, not timed yet)", meter.Eta(50));
        for (int s = 51; s <= 100; s++) { now += 0.1; meter.Tick(s); }
        now += 20; meter.Tick(101);                      // the GAN phase's first step builds its state
        for (int s = 102; s <= 150; s++) { now += 0.5; meter.Tick(s); }
        Assert.Equal(2, meter.ItersPerSecond, 6);
        Assert.Equal("0m25s", meter.Eta(150));

        // Resumed at step 50 with the phases' rates from the log: the GAN phase is timed before it starts.
        var resumed = new ProgressMeter(50, 200, new Dictionary<long, string> { [100] = "GAN" }, () => now);
        resumed.Seed([(40, 10.0), (50, 10.0), (120, 2.0), (150, 2.0)]);
        now += 5; resumed.Tick(51);
        for (int s = 52; s <= 60; s++) { now += 0.1; resumed.Tick(s); }
        Assert.Equal("0m54s", resumed.Eta(60));       // 40 steps at 10/s + 100 steps at 2/s
    }

    [Fact]
    public void Set_OverridesAnyKey_AndABadSetNamesItself()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("sets", totalSteps: 40);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg, "--set", "train.total_steps=3",
            "--set", "train.scheduler.milestones=[1,2]", "--set", "train.total_steps=2");
        Assert.True(code == 0, output);
        var c = ConfigLoader.LoadFile(Path.Combine(t.RunsDir, "sets", "config.yml"));
        Assert.Equal(2, c.Train.TotalSteps);      // the last --set of a key wins
        Assert.Equal(new long[] { 1, 2 }, c.Train.Scheduler.Milestones);

        (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg, "--name", "other", "--set", "train.totl_steps=3");
        Assert.Equal(2, code);
        AssertOneErrorLine(output);
        Assert.Contains("with --set: unknown key 'train.totl_steps' (did you mean 'train.total_steps'?)", output);
        (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg, "--name", "other", "--set", "train.total_steps");
        Assert.Equal(2, code);
        Assert.Contains("--set 'train.total_steps': give key=value", output);
    }

    [Fact]
    public void Schema_IsGeneratedFromTheRecords_AndTheCommittedCopyIsCurrent()
    {
        using var dir = new TempDir("srtrain-cli");
        var (code, output) = CliProcess.Run(dir.Path, "schema");
        Assert.Equal(0, code);
        var committed = Repo.File("configs", "srtrain.schema.json");
        // Compared as text with LF line ends on both sides: a checkout with CRLF (git's autocrlf on Windows, if
        // .gitattributes is ignored) or a console that writes CRLF must not make the committed copy look stale.
        Assert.Equal(File.ReadAllText(committed).Replace("\r\n", "\n"), output.Replace("\r\n", "\n"));
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        var train = doc.RootElement.GetProperty("properties").GetProperty("train");
        Assert.False(train.GetProperty("additionalProperties").GetBoolean());
        var total = train.GetProperty("properties").GetProperty("total_steps");
        Assert.Equal("integer", total.GetProperty("type").GetString());
        Assert.Equal(new TrainConfig().TotalSteps, total.GetProperty("default").GetInt32());
        var gan = doc.RootElement.GetProperty("properties").GetProperty("losses").GetProperty("properties").GetProperty("gan").GetProperty("properties");
        Assert.Contains("RaGAN", gan.GetProperty("type").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("GAN loss", gan.GetProperty("start_step").GetProperty("description").GetString());
    }
}
