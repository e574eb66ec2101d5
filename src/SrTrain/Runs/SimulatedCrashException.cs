namespace SrTrain.Runs;

/// <summary>Thrown by <see cref="CheckpointStore"/>'s crash-simulation hook; <see cref="CheckpointStore.Save"/> does no
/// clean-up for it, so the disk is left as a real crash at that point would leave it.</summary>
internal sealed class SimulatedCrashException(string stage) : Exception($"simulated crash at stage '{stage}'")
{
    public string Stage { get; } = stage;
}
