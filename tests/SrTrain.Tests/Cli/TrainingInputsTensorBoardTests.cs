using SrTrain.Runs;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Cli;

/// <summary>With Real-ESRGAN's degradation, each validation also shows a few LQ inputs of that step in TensorBoard.</summary>
[Trait("Speed", "process")]
public class TrainingInputsTensorBoardTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Validation_ShowsTrainingLqInputs_OnlyWithRealEsrgan(bool realEsrgan)
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("tb", "logger: {use_tensorboard: true}\nval: {val_freq: 5}\n" +
            (realEsrgan ? "datasets: {train: {realesrgan: {enabled: true, crop_pad_size: 64, queue_size: 4}}}\n" : ""), totalSteps: 10);
        var result = t.Train(cfg);
        Assert.Equal(10, result.FinalStep);
        var events = Directory.EnumerateFiles(Path.Combine(t.RunsDir, "tb", MetricsLog.TensorBoardDir), "events.out.tfevents.*")
            .SelectMany(TensorBoardFiles.Read).Where(e => e.IsImage).ToList();
        var trainLq = events.Where(e => e.Tags.Any(tag => tag.StartsWith("train_lq/", StringComparison.Ordinal))).ToList();
        if (!realEsrgan)
        {
            Assert.Empty(trainLq);
            return;
        }
        // batch_size 2: both inputs, at each validation (steps 5 and 10).
        Assert.Equal(new[] { ("train_lq/0", 5L), ("train_lq/0", 10L), ("train_lq/1", 5L), ("train_lq/1", 10L) },
            trainLq.Select(e => (Assert.Single(e.Tags), e.Step)).Order());
    }
}
