using SrTrain.Runtime;

namespace SrTrain.Translational;

/// <summary>Geometry of the translational term. gt_size is the patch the losses and the discriminator see; the data
/// pipeline cuts a full patch of fullPatchSize = gt_size + scale·k HQ pixels (fullPatchSize/scale LQ) and takes four
/// corner crops of gt_size from it, shifted by k LQ pixels (scale·k HQ pixels) against each other. The original
/// example is gt_size 224, k = 8 at x4: full patch 256, corner crops 224, shared region 192. A translation-equivariant
/// generator gives the same output on the part all four crops share, which is what the translational loss compares.</summary>
internal static class TranslationalCrops
{
    /// <summary>HQ side of the full patch the corners are cut from: gtSize + scale·k (224 → 256 for k = 8 at x4).</summary>
    public static int FullPatchSize(int gtSize, int scale, int shift) => gtSize + scale * shift;

    /// <summary>HQ side of each corner crop: fullPatchSize − scale·k, which is gt_size (256 → 224 for k = 8 at x4).</summary>
    public static int CropSize(int fullPatchSize, int scale, int shift) => fullPatchSize - scale * shift;

    /// <summary>HQ side of the region that all four corner crops share: 2·cropSize − fullPatchSize (192 for 256, k = 8, x4).</summary>
    public static int SharedSize(int fullPatchSize, int scale, int shift) => 2 * CropSize(fullPatchSize, scale, shift) - fullPatchSize;

    /// <summary>Throws when (fullPatchSize, scale, shift) cannot make four overlapping corner crops on the LQ grid.</summary>
    public static void Validate(int fullPatchSize, int scale, int shift)
    {
        if (scale < 1) throw new SrTrainException($"scale {scale}: must be at least 1");
        if (fullPatchSize % scale != 0) throw new SrTrainException($"gt_size {fullPatchSize}: must be a multiple of scale {scale}");
        if (shift <= 0) throw new SrTrainException($"translational shift {shift}: must be positive (0 turns the term off)");
        if (SharedSize(fullPatchSize, scale, shift) <= 0)
            throw new SrTrainException(
                $"translational shift {shift}: too large for gt_size {fullPatchSize} at x{scale}; the corner crops ({CropSize(fullPatchSize, scale, shift)} px) " +
                $"must overlap, so use a shift below {fullPatchSize / scale / 2} LQ pixels");
    }

    /// <summary>The crop of <paramref name="corner"/>: HQ offset = scale × LQ offset exactly, so LQ and HQ stay aligned.
    /// Shared region in the crop's coordinates: top = (Row == 0 ? fullPatchSize − cropSize : 0), left likewise, side
    /// 2·cropSize − fullPatchSize; so HQ pixel (Shared.Top + i, Shared.Left + j) of any corner crop is full-patch pixel
    /// (fullPatchSize − cropSize + i, fullPatchSize − cropSize + j).</summary>
    /// Callers pass validated sizes (the config's translational shift is checked at load, a pipeline's options when made).
    public static CornerCrop Compute(int fullPatchSize, int scale, int shift, Corner corner)
    {
        int crop = CropSize(fullPatchSize, scale, shift);
        int lqTop = corner.Row == 0 ? 0 : shift, lqLeft = corner.Col == 0 ? 0 : shift;
        int offset = fullPatchSize - crop, shared = SharedSize(fullPatchSize, scale, shift);
        var region = new Region(corner.Row == 0 ? offset : 0, corner.Col == 0 ? offset : 0, shared, shared);
        return new CornerCrop(corner, lqTop * scale, lqLeft * scale, crop, lqTop, lqLeft, crop / scale, region);
    }

    /// <summary>The four corner crops of one geometry, in <see cref="Corner.All"/>'s order.</summary>
    public static CornerCrop[] ComputeAll(int fullPatchSize, int scale, int shift) =>
        Corner.All.Select(c => Compute(fullPatchSize, scale, shift, c)).ToArray();

    /// <summary>The corner pair of step <paramref name="step"/>: one pair for the whole batch, as the PyTorch reference
    /// does, so the two passes stay batched. Drawn from its own stream (sample index −1), so it is a function of (seed,
    /// step) alone and every shard of a data-parallel batch draws the same pair.</summary>
    public static (CornerCrop First, CornerCrop Second) PickPair(IReadOnlyList<CornerCrop> all, long seed, long step)
    {
        var (c1, c2) = PickCorners(SampleRandom.For(seed, step, -1));
        return (all[2 * c1.Row + c1.Col], all[2 * c2.Row + c2.Col]);
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

/// <summary>Where one corner crop sits in the full patch (HQ and LQ pixels), and where the region that all four corner
/// crops share sits inside this crop's own output (HQ) coordinates.</summary>
internal sealed record CornerCrop(Corner Corner, int HqTop, int HqLeft, int HqSize, int LqTop, int LqLeft, int LqSize, Region Shared);

/// <summary>One of the four corners of the full training patch: Row 0 = top, Col 0 = left.</summary>
internal readonly record struct Corner(int Row, int Col)
{
    /// <summary>Top-left, top-right, bottom-left, bottom-right: the order the PyTorch reference lists them in.</summary>
    public static readonly IReadOnlyList<Corner> All = new[] { new Corner(0, 0), new Corner(0, 1), new Corner(1, 0), new Corner(1, 1) };

    public override string ToString() => $"({Row},{Col})";
}
