using static TorchSharp.torch;

namespace SrTrain.Translational;

/// <summary>The translational consistency term, SrTrain's reason to exist. Two views of one HQ patch, each run through
/// the generator, must agree on the region they share. What that can see depends on the views
/// (<see cref="SrTrain.Config.TranslationalViews"/>): views offset by whole LQ pixels (corners, free offsets) differ
/// for a fully convolutional generator only through its padding/border effects and patterns whose period does not
/// divide the offset; a pattern of period = scale tied to the output grid (an upsampler's checkerboard) gives exactly
/// 0. Sub-pixel views (HQ offsets that are not multiples of the scale, each view's LQ made from its own HQ crop) see
/// such patterns too.
///
/// The regions come from the data pipeline in each output's own coordinates, so nothing here computes geometry:
/// pixel (Top+i, Left+j) of output 1's region and of output 2's region are the same pixel of the full HQ patch.</summary>
internal static class TranslationalLoss
{
    /// <summary>The term for a batch: L1 (mean) between the two outputs on the regions <paramref name="view"/> names,
    /// one pair for the batch (corners) or one per sample (free and sub-pixel views; the per-sample crops are stacked,
    /// so the mean is over all samples' pixels, as with corners).</summary>
    public static Tensor Compute(Tensor output1, Tensor output2, SecondView view)
    {
        if (!view.PerSample) return Compute(output1, view.MainRegion, output2, view.Region);
        var main = view.SampleMainRegions!;
        var second = view.SampleRegions!;
        long b = output1.shape[0];
        if (main.Count != b || output2.shape[0] != b)
            throw new ArgumentException($"{main.Count} region pairs for outputs of {b} and {output2.shape[0]} samples");
        var a = new Tensor[b];
        var c = new Tensor[b];
        for (int i = 0; i < b; i++)
        {
            if (main[i].Height != second[i].Height || main[i].Width != second[i].Width || main[i].Height != main[0].Height || main[i].Width != main[0].Width)
                throw new ArgumentException($"sample {i}: shared regions differ in size: {main[i]} vs {second[i]} (sample 0: {main[0]})");
            a[i] = Crop(output1.narrow(0, i, 1), main[i]);
            c[i] = Crop(output2.narrow(0, i, 1), second[i]);
        }
        return nn.functional.l1_loss(cat(a, 0), cat(c, 0));
    }

    /// <summary>L1 (mean) between the two outputs on their shared region. Gradients flow into both outputs unless the
    /// caller detached one of them.</summary>
    public static Tensor Compute(Tensor output1, Region region1, Tensor output2, Region region2)
    {
        if (region1.Height != region2.Height || region1.Width != region2.Width)
            throw new ArgumentException($"shared regions differ in size: {region1} vs {region2}");
        return nn.functional.l1_loss(Crop(output1, region1), Crop(output2, region2));
    }

    public static Tensor Crop(Tensor nchw, Region r)
    {
        long h = nchw.shape[^2], w = nchw.shape[^1];
        if (r.Top < 0 || r.Left < 0 || r.Top + r.Height > h || r.Left + r.Width > w)
            throw new ArgumentException($"region {r} lies outside a {h}x{w} output");
        return nchw[.., .., TensorIndex.Slice(r.Top, r.Top + r.Height), TensorIndex.Slice(r.Left, r.Left + r.Width)];
    }
}
