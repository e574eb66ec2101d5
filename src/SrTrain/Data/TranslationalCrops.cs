namespace SrTrain.Data;

/// <summary>One of the four corners of the full training patch: Row 0 = top, Col 0 = left.</summary>
public readonly record struct Corner(int Row, int Col)
{
    /// <summary>Top-left, top-right, bottom-left, bottom-right: the order the PyTorch reference lists them in.</summary>
    public static readonly IReadOnlyList<Corner> All = new[] { new Corner(0, 0), new Corner(0, 1), new Corner(1, 0), new Corner(1, 1) };

    public override string ToString() => $"({Row},{Col})";
}

/// <summary>Where one corner crop sits in the full patch (HQ and LQ pixels), and where the region that all four corner
/// crops share sits inside this crop's own output (HQ) coordinates.</summary>
public sealed record CornerCrop(Corner Corner, int HqTop, int HqLeft, int HqSize, int LqTop, int LqLeft, int LqSize, Region Shared);

/// <summary>Geometry of the translational term: a full patch of gtSize HQ pixels (gtSize/scale LQ) yields four corner
/// crops shifted by k LQ pixels (scale·k HQ pixels) against each other. A translation-equivariant generator gives
/// the same output on the part all four crops share, which is what the translational loss compares.</summary>
public static class TranslationalCrops
{
    /// <summary>HQ side of each corner crop: gtSize − scale·k (256 → 224 for k = 8 at x4).</summary>
    public static int CropSize(int gtSize, int scale, int shift) => gtSize - scale * shift;

    /// <summary>HQ side of the region that all four corner crops share: 2·cropSize − gtSize (192 for 256, k = 8, x4).</summary>
    public static int SharedSize(int gtSize, int scale, int shift) => 2 * CropSize(gtSize, scale, shift) - gtSize;

    /// <summary>Throws when (gtSize, scale, shift) cannot make four overlapping corner crops on the LQ grid.</summary>
    public static void Validate(int gtSize, int scale, int shift)
    {
        if (scale < 1) throw new SrTrainException($"scale {scale}: must be at least 1");
        if (gtSize % scale != 0) throw new SrTrainException($"gt_size {gtSize}: must be a multiple of scale {scale}");
        if (shift <= 0) throw new SrTrainException($"translational shift {shift}: must be positive (0 turns the term off)");
        if (SharedSize(gtSize, scale, shift) <= 0)
            throw new SrTrainException(
                $"translational shift {shift}: too large for gt_size {gtSize} at x{scale}; the corner crops ({CropSize(gtSize, scale, shift)} px) " +
                $"must overlap, so use a shift below {gtSize / scale / 2} LQ pixels");
    }

    /// <summary>The crop of <paramref name="corner"/>: HQ offset = scale × LQ offset exactly, so LQ and HQ stay aligned.
    /// Shared region in the crop's coordinates: top = (Row == 0 ? gtSize − cropSize : 0), left likewise, side
    /// 2·cropSize − gtSize; so HQ pixel (Shared.Top + i, Shared.Left + j) of any corner crop is full-patch pixel
    /// (gtSize − cropSize + i, gtSize − cropSize + j).</summary>
    public static CornerCrop Compute(int gtSize, int scale, int shift, Corner corner)
    {
        Validate(gtSize, scale, shift);
        int crop = CropSize(gtSize, scale, shift);
        int lqTop = corner.Row == 0 ? 0 : shift, lqLeft = corner.Col == 0 ? 0 : shift;
        int offset = gtSize - crop, shared = SharedSize(gtSize, scale, shift);
        var region = new Region(corner.Row == 0 ? offset : 0, corner.Col == 0 ? offset : 0, shared, shared);
        return new CornerCrop(corner, lqTop * scale, lqLeft * scale, crop, lqTop, lqLeft, crop / scale, region);
    }

    /// <summary>Two different corners, uniformly among the 12 ordered pairs. They must differ, or the two passes see
    /// the same input and the translational loss is trivially zero.</summary>
    internal static (Corner First, Corner Second) PickCorners(SampleRandom rng)
    {
        int a = rng.NextInt(4);
        int b = rng.NextInt(3);
        if (b >= a) b++;
        return (Corner.All[a], Corner.All[b]);
    }
}
