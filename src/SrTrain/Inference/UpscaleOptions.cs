namespace SrTrain.Inference;

/// <summary>Options of an upscale batch.</summary>
/// <param name="Tile">Core tile size in LQ pixels (0 = whole image at once).</param>
/// <param name="Overlap">Context around each tile, LQ pixels.</param>
/// <param name="Overwrite">Replace existing output files; otherwise they are left untouched and the job is skipped.</param>
/// <param name="Alpha">How transparency is upscaled.</param>
public sealed record UpscaleOptions(int Tile = 192, int Overlap = 16, bool Overwrite = false, AlphaUpscale Alpha = AlphaUpscale.Generator,
    double? OutScale = null);
