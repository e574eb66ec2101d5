namespace SrTrain.Inference;

/// <summary>Where a generator's weights come from, and how the user named it (for log lines).</summary>
/// <param name="WeightsPath">A .pth/.safetensors generator file.</param>
/// <param name="Description">"run X, checkpoint N", "checkpoint folder F" or the file name.</param>
public sealed record ResolvedModel(string WeightsPath, string Description);
