namespace SrTrain.Tests.Support;

/// <summary>Tests that measure process-wide counters (TorchSharp's live tensor count) or flood the process with garbage
/// collections: xunit runs this collection after the parallel ones, one test at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "Alone";
}
