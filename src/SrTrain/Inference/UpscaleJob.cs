namespace SrTrain.Inference;

/// <summary>One image to upscale and where its result goes; <paramref name="Note"/> says why the output differs from
/// what was asked (e.g. PNG instead of JPEG for an image with transparency), logged as a warning.</summary>
internal sealed record UpscaleJob(string Input, string Output, string? Note = null);
