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
}
