using SrTrain.Data;
using static TorchSharp.torch;

namespace SrTrain.Translational;

/// <summary>The translational consistency term, SrTrain's reason to exist. Two corner crops of one HQ patch, each
/// run through the generator, must agree on the region all corners share. An artifact that depends on where the crop
/// starts (rather than on the image content) cannot agree between the two passes, so this L1 penalises exactly the
/// position-dependent high-frequency patterns GAN losses tend to invent.
///
/// The regions come from the data pipeline in each output's own coordinates, so nothing here computes geometry:
/// pixel (Top+i, Left+j) of output 1's region and of output 2's region are the same pixel of the full HQ patch.</summary>
public static class TranslationalLoss
{
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
