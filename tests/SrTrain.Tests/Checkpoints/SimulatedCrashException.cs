using SrTrain.Checkpoints;

namespace SrTrain.Tests.Checkpoints;

/// <summary>A crash simulated through <see cref="CheckpointStore"/>'s <c>onStage</c> observer: it leaves
/// <see cref="CheckpointStore.Save"/> with no clean-up, so the disk is left as a real crash at that point would leave
/// it.</summary>
internal sealed class SimulatedCrashException(string stage) : Exception($"simulated crash at stage '{stage}'")
{
    public string Stage { get; } = stage;

    /// <summary>An <c>onStage</c> observer that crashes at <paramref name="stage"/>.</summary>
    public static Action<string> At(string stage) => reached =>
    {
        if (reached == stage)
            throw new SimulatedCrashException(reached);
    };
}
