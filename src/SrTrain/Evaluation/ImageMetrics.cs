using SrTrain.Models;
using static TorchSharp.torch;

namespace SrTrain.Evaluation;

/// <summary>The metric set SrTrain reports for one image, the same in training's validation and in `srtrain eval`:
/// PSNR/SSIM on Y with the border cropped and on RGB without (as BasicSR computes them), the VGG-16 perceptual distance
/// when a VGG is given, the shift-consistency error (whole LQ pixels; all of the overlap and its interior) and the
/// phase error (sub-pixel HQ shifts, interior).</summary>
internal static class ImageMetrics
{
    /// <summary>LQ pixels left out on each side for shift_err_interior and phase_err: beyond the border effects of
    /// an SRVGGNetCompact with up to 18 3x3 convs (its receptive field reaches 18 LQ pixels; 2 more for the bicubic
    /// kernel at the border of phase_err's re-derived LQ), so that such a network's padding cannot reach the interior.
    /// Deeper networks (RRDBNet) see farther; for them the interior is "mostly away from the border".</summary>
    public const int InteriorMarginLq = 20;

    /// <summary>Upscales <paramref name="lq"/> (1,3,h,w) and measures the output against <paramref name="hq"/>
    /// (1,3,H,W, CPU). Returns the metrics and the CPU output, which stays in the caller's dispose scope; the caller
    /// provides no_grad.</summary>
    /// <param name="name">Names the image in the error raised when the output size does not match HQ.</param>
    public static (Dictionary<string, double> Metrics, Tensor Output) Measure(string name, Func<Tensor, Tensor> upscale,
        Tensor lq, Tensor hq, int scale, int cropBorder, int shiftK, VggFeatures? vgg, Device device)
    {
        var output = upscale(lq).cpu();
        if (output.shape[2] != hq.shape[2] || output.shape[3] != hq.shape[3])
            throw new SrTrainException($"{name}: output {output.shape[2]}x{output.shape[3]} does not match HQ {hq.shape[2]}x{hq.shape[3]} " +
                                       $"(is the model's scale x{scale}?)");
        var m = new Dictionary<string, double>
        {
            ["psnr_y"] = Metrics.PsnrY(output[0], hq[0], cropBorder),
            ["ssim_y"] = Metrics.SsimY(output[0], hq[0], cropBorder),
            ["psnr_rgb"] = Metrics.PsnrRgb(output[0], hq[0], 0),
            ["ssim_rgb"] = Metrics.SsimRgb(output[0], hq[0], 0),
        };
        if (vgg != null) m["vgg_dist"] = PerceptualDistance.Measure(vgg, output.to(device), hq.to(device), PerceptualDistance.Layers);
        int k = Math.Min(shiftK, (int)Math.Min(lq.shape[2], lq.shape[3]) - 1);
        var (shiftAll, shiftInterior) = ShiftConsistency.MeasureWithInterior(x => upscale(x).cpu(), lq, scale, k, InteriorMarginLq);
        m["shift_err"] = shiftAll;
        m["shift_err_interior"] = shiftInterior;
        m["phase_err"] = PhaseConsistency.Measure(x => upscale(x.to(lq.device)).cpu(), hq, scale, InteriorMarginLq);
        return (m, output);
    }
}
