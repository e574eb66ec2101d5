using System.Text.Json;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Cli;

/// <summary>What `train` and `resume` write down and say about a run (issue 22, items 14–16).</summary>
[Trait("Speed", "process")]
public class TrainingRecordCliTests
{
    static JsonElement RunJson(string runDir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "run.json"))).RootElement;

    [Fact]
    public void RunJson_TranslationalFrom_IsTheConfigsStartStep_AndABranchsOwn()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("quick", "val: {val_freq: 0}\ncheckpoint: {save_freq: 10}\nlosses: {translational: {weight: 1.0, start_step: 15}}\n", totalSteps: 20);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg);
        Assert.True(code == 0, output);
        var run = Path.Combine(t.RunsDir, "quick");
        Assert.Equal(15, RunJson(run).GetProperty("translational_from").GetInt64());

        // A branch from step 10 that turns the term off has none; one with --translational starts it at 10.
        (code, output) = CliProcess.Run(t.Dir, "resume", "--run", run, "--from", "10", "--name", "off", "--set", "losses.translational.weight=0");
        Assert.True(code == 0, output);
        Assert.Equal(JsonValueKind.Null, RunJson(Path.Combine(t.RunsDir, "off")).GetProperty("translational_from").ValueKind);
        (code, output) = CliProcess.Run(t.Dir, "resume", "--run", run, "--from", "10", "--translational");
        Assert.True(code == 0, output);
        Assert.Equal(10, RunJson(Path.Combine(t.RunsDir, "quick-from10-translational")).GetProperty("translational_from").GetInt64());
    }

    /// <summary>Significant digits of a number as printed: "0.0001" has 1, "1.234e-5" has 4.</summary>
    static int SignificantDigits(string text)
    {
        var mantissa = text.Split('e')[0].Replace("-", "").Replace(".", "").TrimStart('0');
        return mantissa.Length;
    }

    [Fact]
    public void TheLog_ShowsSmallLossesWithFourDigits_NamesJpegDegradation_AndAFinishedRunSaysHowToExtendIt()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("small", """
            val: {val_freq: 0}
            logger: {print_freq: 5}
            datasets: {train: {jpeg_prob: 0.5, jpeg_range: [60, 90]}}
            losses: {translational: {weight: 0.0001, start_step: 0}}
            """, totalSteps: 10);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg);
        Assert.True(code == 0, output);

        Assert.Contains("(LQ by bicubic downscaling, then JPEG quality 60–90 (p 0.5))", output);
        var step = output.Split('\n').First(l => l.Contains("Step 5/10"));
        var trans = System.Text.RegularExpressions.Regex.Match(step, @"l_g_trans (\S+)").Groups[1].Value;
        Assert.True(SignificantDigits(trans) >= 3, $"l_g_trans shown as {trans}: {step}");

        (code, output) = CliProcess.Run(t.Dir, "resume", "--run", Path.Combine(t.RunsDir, "small"));
        Assert.Equal(2, code);
        Assert.Contains($"--set train.total_steps=20", output);
    }

    [Fact]
    public void AFailedStart_LeavesNoEmptyRunsFolder()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("nocuda", "", totalSteps: 5);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg, "--device", "cuda");
        Assert.Equal(2, code);
        Assert.Contains("CUDA is not available", output);
        Assert.False(Directory.Exists(t.RunsDir), $"{t.RunsDir} was left behind");
    }

    [Fact]
    public void AValueNotAmongTheChoices_IsOneLineWithoutTabs_NamingTheOption()
    {
        using var dir = new TempDir();
        var (code, output) = CliProcess.Run(dir.Path, "upscale", "x.png", "--ext", "tif");
        Assert.Equal(2, code);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("\t", line);
        Assert.Contains("--ext 'tif' is not one of auto, png, jpg, jpeg, webp", line);
    }
}
