namespace SrTrain.Inference;

/// <summary>One image to upscale and where its result goes.</summary>
public sealed record UpscaleJob(string Input, string Output);
