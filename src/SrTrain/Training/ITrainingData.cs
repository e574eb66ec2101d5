using SrTrain.Data;

namespace SrTrain.Training;

/// <summary>Supplies step N's batch; the data for a step is a pure function of (seed, N), so Start may begin anywhere.</summary>
internal interface ITrainingData : IDisposable
{
    /// <summary>Begins producing batches from <paramref name="step"/> on (background workers may run ahead).</summary>
    void Start(long step);
    /// <summary>The batch of update <paramref name="step"/>; steps are asked for in increasing order.</summary>
    TrainingBatch Next(long step);
}
