using System.Diagnostics;
using Serilog;
using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Benchmarks;

/// <summary><c>srtrain bench --data --config C</c>: whether the data pipeline of a config keeps ahead of its training
/// step. The pipeline runs as training runs it (the config's num_workers and prefetch_batches, its degradation,
/// Real-ESRGAN's included) and is timed alone; the training step is timed alone on one batch made beforehand, so
/// neither waits for the other. The step timed is the config's step 0 (the losses active there): before the GAN and
/// perceptual terms join the step is cheapest, so the pipeline has the least time per batch.</summary>
internal static class DataBench
{
    /// <summary>Batches/s and samples/s the pipeline makes, the training step's median time, and their ratio
    /// (batches the pipeline makes while one step would consume one: ≥ 4 means it keeps well ahead).</summary>
    public sealed record Result(int Workers, int BatchSize, double BatchesPerSecond, double StepMs)
    {
        public double SamplesPerSecond => BatchesPerSecond * BatchSize;
        public double StepsPerSecond => 1000 / StepMs;
        public double Ratio => BatchesPerSecond / StepsPerSecond;
    }

    public static Result Run(SrTrainConfig config, Device device, int steps, int warmup, double dataSeconds, ILogger log)
    {
        var c = config with { Datasets = config.Datasets with { Val = new ValDataConfig() } };
        var options = DataPipelineOptions.From(c);
        double samplesPerSecond = DataThroughput.Measure(options, dataSeconds, log);
        double stepMs;
        using (var parts = TrainingSetup.Build(c, device, log))
        {
            using var scope = torch.NewDisposeScope();
            using var batch = PipelineTrainingData.PipelineAt(c, 0, log).GetBatch(0);
            var times = new List<double>();
            for (int i = 0; i < warmup + steps; i++)
            {
                var clock = Stopwatch.StartNew();
                parts.Step.Run(0, batch);
                if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
                if (i >= warmup) times.Add(clock.Elapsed.TotalMilliseconds);
            }
            stepMs = TimingStats.Of(times.ToArray()).Median;
        }
        return new Result(options.NumWorkers, options.BatchSize, samplesPerSecond / options.BatchSize, stepMs);
    }
}
