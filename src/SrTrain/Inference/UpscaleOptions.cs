namespace SrTrain.Inference;

/// <summary>Options of an upscale batch.</summary>
/// <param name="Tile">Core tile size in LQ pixels (0 = whole image at once, up to <see cref="WholeImageMaxPixels"/>).</param>
/// <param name="Overlap">Context around each tile, LQ pixels.</param>
/// <param name="Overwrite">Replace existing output files; otherwise they are left untouched and the job is skipped.</param>
/// <param name="Alpha">How transparency is upscaled.</param>
internal sealed record UpscaleOptions(int Tile = UpscaleOptions.DefaultTile, int Overlap = 16, bool Overwrite = false, AlphaUpscale Alpha = AlphaUpscale.Generator,
    double? OutScale = null)
{
    /// <summary>The largest input that <c>--tile 0</c> runs in one piece (0.26 MP, 512x512). Real-ESRGAN users expect
    /// 0 to mean the whole image, but activations grow with the image: a whole 1 MP input took 2.3 GB even through the
    /// quickstart's small SRVGGNetCompact, and a 12 MP phone photo through an RRDBNet needs tens of gigabytes. Larger
    /// inputs are tiled at <see cref="DefaultTile"/> (logged); a tile larger than the image runs it whole.</summary>
    public const long WholeImageMaxPixels = 512 * 512;

    /// <summary>The default <c>--tile</c>.</summary>
    public const int DefaultTile = 192;

    /// <summary>The tile size used for a <paramref name="width"/>×<paramref name="height"/> input.</summary>
    public int TileFor(int width, int height) => Tile == 0 && (long)width * height > WholeImageMaxPixels ? DefaultTile : Tile;
}
