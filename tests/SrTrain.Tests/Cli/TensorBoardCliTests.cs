using SrTrain.Runs;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Cli;

/// <summary>What TensorBoard shows of a run trained and resumed through the real CLI.</summary>
[Trait("Speed", "process")]
public class TensorBoardCliTests
{
    [Fact]
    public void TensorBoard_HasValidationImages_LrD_AndNoDuplicatedStepAfterAResume()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("tb", "logger: {use_tensorboard: true, print_freq: 5}\nlosses: {gan: {weight: 0.1}}\n" +
            "val: {val_freq: 10}\ncheckpoint: {save_freq: 10}\n", totalSteps: 20);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg);
        Assert.True(code == 0, output);
        var run = Path.Combine(t.RunsDir, "tb");

        // As if the run had died after logging steps 15 and 20 but before checkpoint 20 was complete.
        Directory.Delete(Path.Combine(run, "checkpoints", "20"), recursive: true);
        File.Delete(Path.Combine(run, "checkpoints", "latest"));
        (code, output) = CliProcess.Run(t.Dir, "resume", "--run", run);
        Assert.True(code == 0, output);
        Assert.Contains("from its latest checkpoint 10", output);

        var events = Directory.EnumerateFiles(Path.Combine(run, MetricsLog.TensorBoardDir), "events.out.tfevents.*")
            .SelectMany(TensorBoardFiles.Read).ToList();
        var byTag = events.SelectMany(e => e.Tags.Select(tag => (tag, e.Step))).GroupBy(x => x.tag).ToDictionary(g => g.Key, g => g.Select(x => x.Step).ToList());
        foreach (var (tag, steps) in byTag)
            Assert.True(steps.Distinct().Count() == steps.Count, $"{tag}: steps {string.Join(",", steps)}");
        Assert.Equal(new long[] { 5, 10, 15, 20 }, byTag["train/lr_d"].Order());
        Assert.Equal(new long[] { 5, 10, 15, 20 }, byTag["train/lr_g"].Order());
        // The validation image (LQ | output | HQ) at each validation, in the Images tab.
        var images = events.Where(e => e.IsImage).ToList();
        Assert.Equal(new long[] { 10, 20 }, images.Select(e => e.Step).Order());
        Assert.All(images, e => Assert.Equal("val/chelsea_val", Assert.Single(e.Tags)));
    }
}
