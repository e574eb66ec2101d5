using static TorchSharp.torch;

namespace SrTrain.Degradation;

/// <summary>The tensor operations of Real-ESRGAN's degradation, as BasicSR computes them (filter2D, F.interpolate as
/// feed_data calls it, Gaussian and Poisson noise). Every input is (B,C,H,W) float32 in [0,1] on any device.</summary>
internal static class DegradationOps
{
    /// <summary>basicsr.utils.img_process_util.filter2D: reflect padding, one (k,k) kernel per image (kernel (B,k,k)
    /// or (1,k,k)).</summary>
    public static Tensor Filter2D(Tensor img, Tensor kernel) => throw new NotImplementedException();

    /// <summary>F.interpolate(img, scale_factor=scale, mode=mode) as PyTorch 1.13 computes it (output size
    /// floor(H·scale), source coordinates from the given scale, align_corners None/False).</summary>
    public static Tensor ResizeByFactor(Tensor img, double scale, ResizeMode mode) => throw new NotImplementedException();

    /// <summary>F.interpolate(img, size=(h, w), mode=mode).</summary>
    public static Tensor ResizeTo(Tensor img, int height, int width, ResizeMode mode) => throw new NotImplementedException();

    /// <summary>add_gaussian_noise_pt(clip=True, rounds=False) with the random tensors given: sigma (B) on the 0..255
    /// scale, gray (B) 0/1, noise (B,C,H,W) and noiseGray (B,1,H,W) standard normal.</summary>
    public static Tensor AddGaussianNoise(Tensor img, Tensor sigma, Tensor gray, Tensor noise, Tensor noiseGray) =>
        throw new NotImplementedException();

    /// <summary>add_poisson_noise_pt(clip=True, rounds=False) with scale (B), gray (B) 0/1, and
    /// <paramref name="poisson"/> standing for torch.poisson: it is called with the rate tensor, first for the gray
    /// image (B,1,H,W) when any gray is set, then for the colour image (B,C,H,W), in BasicSR's order.</summary>
    public static Tensor AddPoissonNoise(Tensor img, Tensor scale, Tensor gray, Func<Tensor, Tensor> poisson) =>
        throw new NotImplementedException();
}
