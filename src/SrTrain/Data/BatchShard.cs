namespace SrTrain.Data;

/// <summary>Which part of each step's global batch this process makes: shard <see cref="Index"/> of
/// <see cref="Count"/> takes the samples [Index·B/Count, (Index+1)·B/Count) of the B samples that (seed, step) defines.
/// Every sample keeps its global index, so the data of a step is the same whatever the number of ranks, and a run
/// resumed with another number of ranks sees what an uninterrupted run would.</summary>
internal sealed record BatchShard(int Index, int Count)
{
    public static readonly BatchShard Whole = new(0, 1);

    /// <summary>The first global sample index and the number of samples of this shard of a batch of
    /// <paramref name="batchSize"/>.</summary>
    public (int First, int Length) Range(int batchSize)
    {
        int per = batchSize / Count;
        return (Index * per, per);
    }

    internal void Validate(int batchSize)
    {
        if (Count < 1 || Index < 0 || Index >= Count) throw new ArgumentOutOfRangeException(nameof(Index), $"shard {Index} of {Count}");
        if (batchSize % Count != 0)
            throw new SrTrainException($"datasets.train.batch_size {batchSize} is the global batch and must divide evenly over the {Count} ranks " +
                                       $"(each rank takes batch_size / ranks samples); use a multiple of {Count}");
    }
}
