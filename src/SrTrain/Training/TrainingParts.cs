using static TorchSharp.torch;

namespace SrTrain.Training;

/// <summary>Everything the loop trains with, built once by <see cref="TrainingSetup"/>.</summary>
internal sealed class TrainingParts : IDisposable
{
    public required nn.Module<Tensor, Tensor> G { get; init; }
    public required Ema Ema { get; init; }
    public nn.Module<Tensor, Tensor>? D { get; init; }
    public required FlatAdam OptG { get; init; }
    public FlatAdam? OptD { get; init; }
    public required SrganStep Step { get; init; }
    public required ITrainingData Data { get; init; }
    public Validator? Validator { get; init; }
    /// <summary>How the step averages gradients over ranks (data parallel); a no-op in one process.</summary>
    public Distributed.IGradientSync? GradientSync { get; init; }

    /// <summary>The networks and optimizers a checkpoint saves and restores.</summary>
    public Checkpoints.CheckpointParts Checkpointed => new(G, Ema.Model, D, OptG, OptD);

    public void Dispose()
    {
        Data.Dispose();
        Validator?.Dispose();
        (GradientSync as IDisposable)?.Dispose();
    }
}
