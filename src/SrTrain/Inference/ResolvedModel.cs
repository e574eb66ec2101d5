namespace SrTrain.Inference;

/// <summary>Where a generator's weights come from, and how the user named it (for log lines).</summary>
/// <param name="WeightsPath">A .pth/.safetensors generator file.</param>
/// <param name="Description">"run X, checkpoint N", "checkpoint folder F" or the file name.</param>
/// <param name="RunDir">The run folder when the model is a run's latest checkpoint: a training run may retire that
/// checkpoint at any moment, and the run's next one is taken instead.</param>
internal sealed record ResolvedModel(string WeightsPath, string Description, string? RunDir = null);
