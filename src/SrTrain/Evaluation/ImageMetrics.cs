using SrTrain.Models;
using static TorchSharp.torch;

namespace SrTrain.Evaluation;

/// <summary>The metric set SrTrain reports for one image, the same in training's validation and in `srtrain eval`:
/// PSNR/SSIM on Y with the border cropped and on RGB without (as BasicSR computes them), the VGG-16 perceptual distance
/// when a VGG is given, and the shift-consistency error.</summary>
public static class ImageMetrics
{
    /// <summary>Upscales <paramref name="lq"/> (1,3,h,w) and measures the output against <paramref name="hq"/>
    /// (1,3,H,W, CPU). Returns the metrics and the CPU output, which stays in the caller's dispose scope; the caller
    /// provides no_grad.</summary>
    /// <param name="name">Names the image in the error raised when the output size does not match HQ.</param>
    public static (Dictionary<string, double> Metrics, Tensor Output) Measure(string name, Func<Tensor, Tensor> upscale,
        Tensor lq, Tensor hq, int scale, int cropBorder, int shiftK, Vgg16Features? vgg, Device device)
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
        m["shift_err"] = ShiftConsistency.Measure(x => upscale(x).cpu(), lq, scale, k);
        return (m, output);
    }
}
