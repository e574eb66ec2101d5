using SrTrain.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Evaluation;

/// <summary>phase_err: how much a generator's output depends on the sub-pixel phase of its LQ grid. A shift of the
/// HQ image by d output pixels with d not a multiple of the scale cannot be written as a shift of the LQ image, so
/// each view's LQ is made again from the shifted HQ, by MATLAB bicubic downscaling rounded to 8 bits (as validation's
/// LQ is made). Patterns tied to the output grid with period = scale (checkerboards of an upsampler, what pixel shuffle
/// makes of a bias), which <see cref="ShiftConsistency"/> and corner crops cannot see, change here. An ideal upscaler
/// (one that returns the HQ) scores 0; plain interpolation does not, because the LQ itself changes with the phase
/// (aliasing), so read it against bicubic's value: bicubic scores below nearest.</summary>
internal static class PhaseConsistency
{
    /// <summary>The mean, over HQ shifts (d, 0) and (0, d) for d = 1…scale−1 (each axis on its own: a diagonal shift
    /// (d, d) would leave a checkerboard unchanged at d = scale/2), of the mean absolute difference in [0,1] units between
    /// the outputs of the unshifted and the shifted view on the HQ region they share, without
    /// <paramref name="marginLq"/>·scale output pixels on each side (shrunk on small images so that one pixel remains).
    /// The views are (H/scale − 1)·scale high and wide, cut from <paramref name="hq"/> (1,3,H,W, CPU) at offset 0 and
    /// d. Costs 2·(scale − 1) + 1 generator passes. 0 at scale 1 (there is no sub-pixel phase).</summary>
    /// <param name="upscale">(1,3,h,w) CPU → (1,3,h·s,w·s) CPU.</param>
    public static double Measure(Func<Tensor, Tensor> upscale, Tensor hq, int scale, int marginLq)
    {
        if (hq.dim() != 4 || hq.shape[0] != 1 || hq.shape[1] != 3)
            throw new ArgumentException($"expected a (1,3,H,W) tensor, got shape [{string.Join(",", hq.shape)}]");
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "must be >= 1");
        if (marginLq < 0) throw new ArgumentOutOfRangeException(nameof(marginLq), marginLq, "must be >= 0");
        if (scale == 1) return 0;
        int lqH = (int)hq.shape[2] / scale - 1, lqW = (int)hq.shape[3] / scale - 1;
        if (lqH < 2 || lqW < 2)
            throw new ArgumentException($"HQ image {hq.shape[2]}x{hq.shape[3]} is too small for phase_err at x{scale}: it needs at least {3 * scale} px per side");
        int hc = lqH * scale, wc = lqW * scale;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var image = RgbImage.FromTensor(hq[0].to(ScalarType.Float32).cpu());
        Tensor View(int dy, int dx)
        {
            var lq = MatlabResize.Resize(image.Crop(dy, dx, hc, wc), 1.0 / scale);
            lq.QuantizeTo8Bit();
            var output = upscale(lq.ToTensor().unsqueeze(0));
            if (output.shape[2] != hc || output.shape[3] != wc)
                throw new ArgumentException($"the upscaler's output {output.shape[2]}x{output.shape[3]} is not x{scale} of {lqH}x{lqW}");
            return output.to(ScalarType.Float64);
        }
        var reference = View(0, 0);
        long margin = (long)marginLq * scale;
        double sum = 0;
        for (int d = 1; d < scale; d++)
        {
            // Output pixel (y, x) of the view at offset d is pixel (y + d, x) of the reference view.
            var down = View(d, 0);
            var a = reference[TensorIndex.Ellipsis, TensorIndex.Slice(d, hc), TensorIndex.Colon];
            var b = down[TensorIndex.Ellipsis, TensorIndex.Slice(0, hc - d), TensorIndex.Colon];
            sum += ShiftConsistency.Interior((a - b).abs(), margin).mean().item<double>();
            var right = View(0, d);
            a = reference[TensorIndex.Ellipsis, TensorIndex.Colon, TensorIndex.Slice(d, wc)];
            b = right[TensorIndex.Ellipsis, TensorIndex.Colon, TensorIndex.Slice(0, wc - d)];
            sum += ShiftConsistency.Interior((a - b).abs(), margin).mean().item<double>();
        }
        return sum / (2 * (scale - 1));
    }
}
