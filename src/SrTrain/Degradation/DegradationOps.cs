using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SrTrain.Degradation;

/// <summary>The tensor operations of Real-ESRGAN's degradation, as BasicSR computes them (filter2D, F.interpolate as
/// feed_data calls it, Gaussian and Poisson noise). Every input is (B,C,H,W) float32 in [0,1] on any device.</summary>
internal static class DegradationOps
{
    // torchvision 0.14's rgb_to_grayscale weights (functional_tensor.rgb_to_grayscale).
    static readonly Scalar GrayR = 0.2989.ToScalar(), GrayG = 0.587.ToScalar(), GrayB = 0.114.ToScalar();

    /// <summary>basicsr.utils.img_process_util.filter2D: reflect padding, one (k,k) kernel per image (kernel (B,k,k)
    /// or (1,k,k)).</summary>
    public static Tensor Filter2D(Tensor img, Tensor kernel)
    {
        long b = img.size(0), c = img.size(1), h = img.size(2), w = img.size(3);
        using var scope = NewDisposeScope();
        var (padded, kern, k) = ReflectPadded(img, kernel, nameof(kernel));
        long ph = padded.size(2), pw = padded.size(3);
        Tensor result;
        if (kern.size(0) == 1)
            // the same kernel for every image
            result = F.conv2d(padded.view(b * c, 1, ph, pw), kern.view(1, 1, k, k)).view(b, c, h, w);
        else
            result = F.conv2d(padded.view(1, b * c, ph, pw), kern.view(b, 1, k, k).repeat(1, c, 1, 1).view(b * c, 1, k, k),
                groups: b * c).view(b, c, h, w);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Filter2D with a separable kernel given as its 1-D factor (k): column then row pass after the same
    /// reflect padding. For a kernel that is the outer product of <paramref name="kernel1d"/> with itself it equals
    /// <see cref="Filter2D"/> up to float rounding, at 2k instead of k² multiply-adds per pixel.</summary>
    public static Tensor Filter2DSeparable(Tensor img, Tensor kernel1d)
    {
        long b = img.size(0), c = img.size(1), h = img.size(2), w = img.size(3);
        using var scope = NewDisposeScope();
        var (padded, kern, k) = ReflectPadded(img, kernel1d, nameof(kernel1d));
        var x = padded.view(b * c, 1, padded.size(2), padded.size(3));
        x = F.conv2d(x, kern.view(1, 1, k, 1));
        x = F.conv2d(x, kern.view(1, 1, 1, k));
        return x.view(b, c, h, w).MoveToOuterDisposeScope();
    }

    // filter2D's preamble: an odd kernel size k, the kernel in the image's dtype and device, reflect padding by k // 2.
    static (Tensor Padded, Tensor Kernel, long K) ReflectPadded(Tensor img, Tensor kernel, string kernelName)
    {
        long k = kernel.size(-1);
        if (k % 2 != 1) throw new ArgumentException($"filter2D needs an odd kernel size, not {k}", kernelName);
        return (F.pad(img, [k / 2, k / 2, k / 2, k / 2], PaddingModes.Reflect), kernel.to(img.dtype, img.device), k);
    }

    /// <summary>F.interpolate(img, scale_factor=scale, mode=mode) as PyTorch 1.13 computes it (output size
    /// floor(H·scale), source coordinates from the given scale, align_corners None/False).</summary>
    public static Tensor ResizeByFactor(Tensor img, double scale, ResizeMode mode) =>
        // libtorch's C++ interpolate, like PyTorch's Python one, makes the size floor(H·scale) in double and passes
        // the scale on to the kernels unless recompute_scale_factor; 'area' is adaptive_avg_pool2d to that size.
        F.interpolate(img, scale_factor: [scale, scale], mode: Mode(mode), align_corners: AlignCorners(mode),
            recompute_scale_factor: false);

    /// <summary>F.interpolate(img, size=(h, w), mode=mode).</summary>
    public static Tensor ResizeTo(Tensor img, int height, int width, ResizeMode mode) =>
        F.interpolate(img, size: [height, width], mode: Mode(mode), align_corners: AlignCorners(mode));

    static InterpolationMode Mode(ResizeMode mode) => mode switch
    {
        ResizeMode.Area => InterpolationMode.Area,
        ResizeMode.Bilinear => InterpolationMode.Bilinear,
        ResizeMode.Bicubic => InterpolationMode.Bicubic,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    // F.interpolate's align_corners=None: False for the linear/cubic modes, unset for area (which refuses it).
    static bool? AlignCorners(ResizeMode mode) => mode == ResizeMode.Area ? null : false;

    /// <summary>add_gaussian_noise_pt(clip=True, rounds=False) with the random tensors given: sigma (B) on the 0..255
    /// scale, gray (B) 0/1, noise (B,C,H,W) and noiseGray (B,1,H,W) standard normal. BasicSR draws noiseGray as one
    /// (H,W) plane for the whole batch; any shape that broadcasts to (B,1,H,W) is taken. The gray mixing is computed
    /// even when no image is gray (BasicSR skips it then): noise·1 + noiseGray·0 is the same noise, and no device
    /// sync is needed to decide.</summary>
    public static Tensor AddGaussianNoise(Tensor img, Tensor sigma, Tensor gray, Tensor noise, Tensor noiseGray)
    {
        long b = img.size(0);
        using var scope = NewDisposeScope();
        var s = sigma.to(img.dtype, img.device).view(b, 1, 1, 1);
        var g = gray.to(img.dtype, img.device).view(b, 1, 1, 1);
        // noise = randn * sigma / 255.; noise_gray likewise; noise * (1 - gray) + noise_gray * gray
        var n = noise.to(img.device).mul(s).div(Scalars.Byte);
        var ng = noiseGray.to(img.device).mul(s).div(Scalars.Byte);
        var mixed = TensorOps.Add(n.mul(OneMinus(g)), ng.mul(g));
        return TensorOps.Add(img, mixed).clamp(Scalars.Zero, Scalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>add_poisson_noise_pt(clip=True, rounds=False) with scale (B), gray (B) 0/1, and
    /// <paramref name="poisson"/> standing for torch.poisson: it is called with the rate tensor, first for the gray
    /// image (B,1,H,W) when any gray is set, then for the colour image (B,C,H,W), in BasicSR's order.</summary>
    public static Tensor AddPoissonNoise(Tensor img, Tensor scale, Tensor gray, Func<Tensor, Tensor> poisson)
    {
        long b = img.size(0), h = img.size(2), w = img.size(3);
        using var scope = NewDisposeScope();
        var g = gray.to(img.dtype, img.device).view(b, 1, 1, 1);
        bool calGray = g.sum().item<float>() > 0;
        Tensor? noiseGray = null;
        if (calGray)
        {
            // rgb_to_grayscale(img, num_output_channels=1): 0.2989 r + 0.587 g + 0.114 b
            var rgb = img.unbind(1);
            var imgGray = TensorOps.Add(TensorOps.Add(rgb[0].mul(GrayR), rgb[1].mul(GrayG)), rgb[2].mul(GrayB)).unsqueeze(1);
            imgGray = Quantize255(imgGray);
            noiseGray = ShotNoise(imgGray, poisson).expand(b, 3, h, w);
        }
        var noise = ShotNoise(Quantize255(img), poisson);
        if (noiseGray is not null) noise = TensorOps.Add(noise.mul(OneMinus(g)), noiseGray.mul(g));
        noise = noise.mul(scale.to(img.dtype, img.device).view(b, 1, 1, 1));
        return TensorOps.Add(img, noise).clamp(Scalars.Zero, Scalars.One).MoveToOuterDisposeScope();
    }

    // torch.clamp((img * 255.0).round(), 0, 255) / 255.
    static Tensor Quantize255(Tensor img) =>
        img.mul(Scalars.Byte).round().clamp(Scalars.Zero, Scalars.Byte).div(Scalars.Byte);

    // vals = 2 ** ceil(log2(number of unique values of each image)); out = poisson(img * vals) / vals; out − img.
    // The images hold multiples of 1/255 here, so the unique values are counted as the occupied bins of 0..255, on
    // the device (BasicSR loops over torch.unique per image).
    static Tensor ShotNoise(Tensor img, Func<Tensor, Tensor> poisson)
    {
        long b = img.size(0);
        var levels = img.mul(Scalars.Byte).round().to(ScalarType.Int64).view(b, -1);
        var occupied = zeros(b, 256, img.dtype, img.device).scatter_(1, levels, ones_like(levels, img.dtype));
        var unique = occupied.sum(1);
        var vals = unique.log2().ceil().exp2().view(b, 1, 1, 1);
        var @out = poisson(img.mul(vals)).to(img.device).div(vals);
        return TensorOps.Sub(@out, img);
    }

    static Tensor OneMinus(Tensor t) => t.neg().add_(Scalars.One, Scalars.One);
}
