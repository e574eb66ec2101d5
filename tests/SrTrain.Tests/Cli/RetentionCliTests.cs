using SrTrain.Checkpoints;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Cli;

/// <summary>Checkpoint retention never loses a checkpoint someone still needs (issue 22, item 7).</summary>
[Trait("Speed", "process")]
public class RetentionCliTests
{
    [Fact]
    public void TheCheckpointABranchWasMadeFrom_SurvivesTheParentsRetention_AndEachDeletionIsAnnouncedOnce()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("parent", "val: {val_freq: 0}\ncheckpoint: {save_freq: 10, keep_last: 2}\n", totalSteps: 30);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg);
        Assert.True(code == 0, output);
        var parent = Path.Combine(t.RunsDir, "parent");
        (code, output) = CliProcess.Run(t.Dir, "resume", "--run", parent, "--from", "20", "--translational");
        Assert.True(code == 0, output);

        // The parent goes on with keep_last 2: 20 would be deleted at step 40 without the branch's mark.
        (code, output) = CliProcess.Run(t.Dir, "resume", "--run", parent, "--set", "train.total_steps=50");
        Assert.True(code == 0, output);

        var store = new CheckpointStore(Path.Combine(parent, "checkpoints"));
        Assert.Equal([20L, 40, 50], store.ListSteps());
        Assert.Contains("deletes checkpoint(s) 30; keeps 20, 40, 50; 20 marked in", output);
        Assert.Contains($"(branch {Path.Combine(t.RunsDir, "parent-from20-translational")})", output);
        Assert.Single(output.Split('\n'), l => l.Contains("30") && (l.Contains("delete", StringComparison.OrdinalIgnoreCase) || l.Contains("Removed")));
        // A control branch at the same step is still possible.
        (code, output) = CliProcess.Run(t.Dir, "resume", "--run", parent, "--from", "20", "--name", "control", "--set", "train.total_steps=22");
        Assert.True(code == 0, output);
    }
}
