using Serilog;
using SrTrain.Config;
using SrTrain.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Benchmarks;

/// <summary>Whether training holds its memory flat: the real training parts (<see cref="TrainingSetup"/>: networks,
/// optimizers, losses, the data pipeline and EMA, without validation) run for many steps while resident memory and
/// the number of live TorchSharp tensors are sampled. Every loss term is switched on from step 0 so the run is in its
/// steady state from the start (otherwise the discriminator's Adam moments appear when GAN training begins).</summary>
internal static class MemorySoak
{
    /// <summary>The config the soak runs: <paramref name="config"/> without validation, with every loss start step at 0
    /// and total_steps at least <paramref name="steps"/>.</summary>
    public static SrTrainConfig SteadyState(SrTrainConfig config, int steps)
    {
        var l = config.Losses;
        return config with
        {
            Datasets = config.Datasets with { Val = new ValDataConfig() },
            Losses = l with
            {
                Pixel = l.Pixel with { StartStep = 0 },
                Perceptual = l.Perceptual with { StartStep = 0 },
                Gan = l.Gan with { StartStep = 0 },
                Translational = l.Translational with { StartStep = 0 },
            },
            Train = config.Train with { TotalSteps = Math.Max(config.Train.TotalSteps, steps) },
        };
    }

    /// <summary>Runs <paramref name="steps"/> training steps of <see cref="SteadyState"/>(config) and samples memory
    /// after each step listed in <paramref name="sampleAfter"/> (1-based step counts).</summary>
    public static IReadOnlyList<MemorySample> Run(SrTrainConfig config, Device device, int steps, IReadOnlyCollection<long> sampleAfter,
        ILogger log, CancellationToken cancel = default)
    {
        var c = SteadyState(config, steps);
        var samples = new List<MemorySample>();
        using var parts = TrainingSetup.Build(c, device, log);
        parts.Data.Start(0);
        for (long step = 0; step < steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            // As Trainer does it: no dispose scope around the step but SrganStep's own, so a leak there shows here.
            using (var batch = parts.Data.Next(step))
            {
                if (parts.Step.Run(step, batch) is null)
                    log.Warning("Step {Step}: loss not finite, skipped", step);
                parts.Ema.Update();
            }
            if (sampleAfter.Contains(step + 1))
            {
                // Measure what is retained, not where the GC's sawtooth happens to be: collect garbage first (the
                // data workers' buffers come and go by the hundred megabytes between collections).
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                samples.Add(new MemorySample(step + 1, ProcessMemory.ResidentBytes() ?? 0, torch.Tensor.TotalCount));
            }
            if ((step + 1) % 100 == 0)
                log.Information("Memory soak: step {Step}/{Steps}, resident {RssMiB:F0} MiB, live tensors {Tensors}",
                    step + 1, steps, (ProcessMemory.ResidentBytes() ?? 0) / 1048576.0, torch.Tensor.TotalCount);
        }
        return samples;
    }
}

/// <summary>Process memory and live TorchSharp tensors after a given number of training steps.</summary>
internal sealed record MemorySample(long Step, long ResidentBytes, long LiveTensors);
