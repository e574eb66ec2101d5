using SrTrain.Data;
using static TorchSharp.torch;

namespace SrTrain.Training;

/// <summary>Supplies step N's batch; the data for a step is a pure function of (seed, N), so Start may begin anywhere.</summary>
public interface ITrainingData : IDisposable
{
    /// <summary>Begins producing batches from <paramref name="step"/> on (background workers may run ahead).</summary>
    void Start(long step);
    /// <summary>The batch of update <paramref name="step"/>; steps are asked for in increasing order.</summary>
    TrainingBatch Next(long step);
}

/// <summary>Validates a generator; returns named metrics (psnr_y, ssim_y, ...).</summary>
public interface IValidator
{
    Dictionary<string, double> Run(nn.Module<Tensor, Tensor> generator, long step, string imagesDir);
    /// <summary>The same metrics for plain bicubic upscaling (the row every run is compared with).</summary>
    Dictionary<string, double> Baseline { get; }
}

/// <summary>Everything the loop trains with, built once by <see cref="TrainingSetup"/>.</summary>
public sealed class TrainingParts : IDisposable
{
    public required nn.Module<Tensor, Tensor> G { get; init; }
    public required Ema Ema { get; init; }
    public nn.Module<Tensor, Tensor>? D { get; init; }
    public required FlatAdam OptG { get; init; }
    public FlatAdam? OptD { get; init; }
    public required SrganStep Step { get; init; }
    public required ITrainingData Data { get; init; }
    public IValidator? Validator { get; init; }
    /// <summary>How the step averages gradients over ranks (data parallel); a no-op in one process.</summary>
    public Distributed.IGradientSync? GradientSync { get; init; }

    public void Dispose()
    {
        Data.Dispose();
        (Validator as IDisposable)?.Dispose();
        (GradientSync as IDisposable)?.Dispose();
    }
}
