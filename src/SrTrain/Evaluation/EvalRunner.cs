using Serilog;
using SrTrain.Data;
using SrTrain.Models;
using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Evaluation;

/// <summary>Measures a generator on HQ/LQ pairs with the metrics of validation during training (PSNR/SSIM on Y with
/// the border cropped and on RGB with no crop, as BasicSR computes them; the VGG-16 perceptual distance when weights are
/// given; the shift-consistency error, its interior part and the phase error, see <see cref="ImageMetrics"/>), beside plain bicubic upscaling of the same LQ images. Bicubic is MATLAB's imresize (as
/// the LQ images are made), and both outputs are rounded to 8 bits before measuring, as BasicSR does.</summary>
public static class EvalRunner
{
    /// <param name="pairs">e.g. from <see cref="ValidationSet.LoadValidationSet"/>.</param>
    /// <param name="model">(1,3,h,w) CPU → (1,3,h·s,w·s) CPU; null for the bicubic row alone.</param>
    /// <param name="vgg">Frozen VGG-16 features (<see cref="PerceptualDistance.Layers"/>) on <paramref name="device"/>,
    /// or null for no perceptual distance.</param>
    public static EvalReport Run(IReadOnlyList<ValidationPair> pairs, Func<Tensor, Tensor>? model, EvalOptions options,
        Vgg16Features? vgg, Device device, ILogger log, CancellationToken cancel = default) =>
        RunMany(pairs, model is null ? [] : [(EvalReport.ModelMethod, model)], options, vgg, device, log, cancel);

    /// <summary>Several models on the same pairs, one method per model (named e.g. after its run), then bicubic: the
    /// A/B in one table.</summary>
    public static EvalReport RunMany(IReadOnlyList<ValidationPair> pairs, IReadOnlyList<(string Name, Func<Tensor, Tensor> Upscale)> models,
        EvalOptions options, Vgg16Features? vgg, Device device, ILogger log, CancellationToken cancel = default)
    {
        if (pairs.Count == 0) throw new SrTrainException("nothing to evaluate: no image pairs");
        var names = new List<string> { "psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb" };
        if (vgg != null) names.Add("vgg_dist");
        names.AddRange(["shift_err", "shift_err_interior", "phase_err"]);
        var methods = new List<(string Name, Func<Tensor, Tensor> Upscale)>();
        foreach (var (name, model) in models) methods.Add((name, lq => model(lq).clamp(Scalars.Zero, Scalars.One)));
        methods.Add((EvalReport.BicubicMethod, lq => MatlabResize.Resize(lq, options.Scale).clamp(Scalars.Zero, Scalars.One)));

        var rows = new List<EvalRow>();
        foreach (var pair in pairs)
        {
            cancel.ThrowIfCancellationRequested();
            foreach (var (method, upscale) in methods)
            {
                var m = Measure(pair, upscale, options, vgg, device);
                rows.Add(new EvalRow(pair.Name, method, m));
            }
            log.Information("{Image}: {Rows}", pair.Name, string.Join("; ", rows.Where(r => r.Image == pair.Name)
                .Select(r => $"{r.Method} PSNR-Y {r.Metrics["psnr_y"]:F2} SSIM-Y {r.Metrics["ssim_y"]:F4}")));
        }
        var means = methods.Select(m => new EvalRow("mean", m.Name, names.ToDictionary(n => n,
            n => rows.Where(r => r.Method == m.Name).Average(r => r.Metrics[n])))).ToList();
        return new EvalReport(options, names, rows, means);
    }

    static Dictionary<string, double> Measure(ValidationPair pair, Func<Tensor, Tensor> upscale, EvalOptions o, Vgg16Features? vgg, Device device)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        return ImageMetrics.Measure(pair.Name, upscale, pair.Lq, pair.Hq, o.Scale, o.CropBorder, o.ShiftK, vgg, device).Metrics;
    }
}
