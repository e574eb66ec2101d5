using Serilog;
using SrTrain.Data;
using SrTrain.Inference;
using SrTrain.Models;
using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Evaluation;

/// <summary>Measures a generator on HQ/LQ pairs with the metrics of validation during training (PSNR/SSIM on Y with
/// the border cropped and on RGB with no crop, as BasicSR computes them; the VGG-16 perceptual distance when weights are
/// given; the shift-consistency error, its interior part and the phase error, see <see cref="ImageMetrics"/>), beside plain bicubic upscaling of the same LQ images. Bicubic is MATLAB's imresize (as
/// the LQ images are made), and both outputs are rounded to 8 bits before measuring, as BasicSR does.</summary>
internal static class EvalRunner
{
    /// <param name="pairs">e.g. from <see cref="ValidationSet.LoadValidationSet"/>.</param>
    /// <param name="model">(1,3,h,w) CPU → (1,3,h·s,w·s) CPU; null for the bicubic row alone.</param>
    /// <param name="vgg">Frozen VGG-16 features (<see cref="PerceptualDistance.Layers"/>) on <paramref name="device"/>,
    /// or null for no perceptual distance.</param>
    public static EvalReport Run(IReadOnlyList<ValidationPair> pairs, Func<Tensor, Tensor>? model, EvalOptions options,
        VggFeatures? vgg, Device device, ILogger log, CancellationToken cancel = default) =>
        RunMany(pairs, model is null ? [] : [(EvalReport.ModelMethod, model)], options, vgg, device, log, cancel);

    /// <summary>Several models on the same pairs, one method per model (named e.g. after its run), then bicubic: the
    /// A/B in one table.</summary>
    public static EvalReport RunMany(IReadOnlyList<ValidationPair> pairs, IReadOnlyList<(string Name, Func<Tensor, Tensor> Upscale)> models,
        EvalOptions options, VggFeatures? vgg, Device device, ILogger log, CancellationToken cancel = default)
    {
        if (pairs.Count == 0) throw new SrTrainException("nothing to evaluate: no image pairs");
        return Report(pairs.Select(p => new EvalImage(p.Name, p.Lq, (int)p.Hq.shape[2], (int)p.Hq.shape[3], (first, n) => p.Hq.narrow(2, first, n))),
            models, options, vgg, device, log, cancel);
    }

    /// <summary><see cref="RunMany"/> on the images of a folder (as <see cref="ValidationSet.LoadValidationSet"/> finds
    /// and pairs them), read one at a time and held at their files' bit depth, so that a folder of large photos costs
    /// one photo's 8-bit pixels plus an amount set by the tile size (see <see cref="EvalOptions.WholeImageMaxPixels"/>).</summary>
    public static EvalReport RunFolder(string hqDir, string? lqDir, IReadOnlyList<(string Name, Func<Tensor, Tensor> Upscale)> models,
        EvalOptions options, VggFeatures? vgg, Device device, ILogger log, CancellationToken cancel = default)
    {
        IEnumerable<EvalImage> Images()
        {
            foreach (var image in ValidationSet.Stream(hqDir, lqDir, options.Scale, log: log))
                using (image)
                {
                    var hq = image.Hq;
                    yield return new EvalImage(image.Name, image.Lq, hq.Height, hq.Width, (first, n) => hq.ReadTile((int)first, 0, (int)n, hq.Width));
                }
        }
        return Report(Images(), models, options, vgg, device, log, cancel);
    }

    /// <summary>An image to measure: LQ as a float tensor, HQ read a band of rows at a time ((1,3,n,W) from a row).</summary>
    sealed record EvalImage(string Name, Tensor Lq, int Height, int Width, Func<long, long, Tensor> ReadHq);

    static EvalReport Report(IEnumerable<EvalImage> images, IReadOnlyList<(string Name, Func<Tensor, Tensor> Upscale)> models,
        EvalOptions options, VggFeatures? vgg, Device device, ILogger log, CancellationToken cancel)
    {
        var names = new List<string> { "psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb" };
        if (vgg != null) names.Add("vgg_dist");
        names.AddRange(["shift_err", "shift_err_interior", "phase_err"]);
        var methods = new List<(string Name, Func<Tensor, Tensor> Upscale)>(models);
        methods.Add((EvalReport.BicubicMethod, lq => MatlabResize.Resize(lq, options.Scale)));

        var rows = new List<EvalRow>();
        foreach (var image in images)
        {
            cancel.ThrowIfCancellationRequested();
            bool whole = (long)image.Height * image.Width <= options.WholeImageMaxPixels;
            if (!whole)
                log.Information("{Image}: {Megapixels:F1} MP, above the {Limit:F1} MP measured whole: PSNR/SSIM over the whole image upscaled in " +
                                "tiles of {Tile} (+{Overlap}), vgg_dist, shift_err and phase_err on its central {Window}x{Window} pixels",
                    image.Name, (double)image.Height * image.Width / 1e6, options.WholeImageMaxPixels / 1e6, UpscaleOptions.DefaultTile,
                    TileOverlap, options.Window, options.Window);
            var measured = new List<EvalRow>();
            foreach (var (method, upscale) in methods)
            {
                var m = whole ? MeasureWhole(image, upscale, options, vgg, device) : MeasureLarge(image, upscale, options, vgg, device);
                measured.Add(new EvalRow(image.Name, method, m));
            }
            rows.AddRange(measured);
            log.Information("{Image}: {Rows}", image.Name, string.Join("; ", measured
                .Select(r => $"{r.Method} PSNR-Y {r.Metrics["psnr_y"]:F2} SSIM-Y {r.Metrics["ssim_y"]:F4}")));
        }
        if (rows.Count == 0) throw new SrTrainException("nothing to evaluate: no image pairs");
        var means = methods.Select(m => new EvalRow("mean", m.Name, names.ToDictionary(n => n,
            n => rows.Where(r => r.Method == m.Name).Average(r => r.Metrics[n])))).ToList();
        return new EvalReport(options, names, rows, means);
    }

    /// <summary>Overlap of the tiles large images are upscaled in (the <c>upscale</c> command's default).</summary>
    const int TileOverlap = 16;

    static Func<Tensor, Tensor> Clamped(Func<Tensor, Tensor> upscale) => lq => upscale(lq).clamp(Scalars.Zero, Scalars.One);

    /// <summary>An image measured whole, with the numbers of training's validation (<see cref="ImageMetrics"/>); PSNR
    /// and SSIM go through <see cref="BandMetrics"/>, which gives the same numbers without float64 copies of the images.</summary>
    static Dictionary<string, double> MeasureWhole(EvalImage image, Func<Tensor, Tensor> upscale, EvalOptions o, VggFeatures? vgg, Device device)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var hq = image.ReadHq(0, image.Height);
        var output = Clamped(upscale)(image.Lq).cpu();
        if (output.shape[2] != hq.shape[2] || output.shape[3] != hq.shape[3])
            throw new SrTrainException($"{image.Name}: output {output.shape[2]}x{output.shape[3]} does not match HQ {hq.shape[2]}x{hq.shape[3]} " +
                                       $"(is the model's scale x{o.Scale}?)");
        var bands = new BandMetrics(image.Height, image.Width, o.CropBorder);
        for (long r = 0; r < image.Height; r += 64)
        {
            long n = Math.Min(64, image.Height - r);
            bands.Add(output.narrow(2, r, n), hq.narrow(2, r, n));
        }
        var m = bands.Result();
        AddWholeImageMetrics(m, image.Lq, hq, output, upscale, o, vgg, device);
        return m;
    }

    /// <summary>The metrics that need whole images, as <see cref="ImageMetrics.Measure"/> computes them: the VGG
    /// distance of <paramref name="output"/> to <paramref name="hq"/>, the shift-consistency error of the model on
    /// <paramref name="lq"/> (all and interior), and the phase error on <paramref name="hq"/>.</summary>
    static void AddWholeImageMetrics(Dictionary<string, double> m, Tensor lq, Tensor hq, Tensor output, Func<Tensor, Tensor> upscale,
        EvalOptions o, VggFeatures? vgg, Device device)
    {
        if (vgg != null) m["vgg_dist"] = PerceptualDistance.Measure(vgg, output.to(device), hq.to(device), PerceptualDistance.Layers);
        int k = Math.Min(o.ShiftK, (int)Math.Min(lq.shape[2], lq.shape[3]) - 1);
        var (shiftAll, shiftInterior) = ShiftConsistency.MeasureWithInterior(x => Clamped(upscale)(x).cpu(), lq, o.Scale, k, ImageMetrics.InteriorMarginLq);
        m["shift_err"] = shiftAll;
        m["shift_err_interior"] = shiftInterior;
        m["phase_err"] = PhaseConsistency.Measure(x => Clamped(upscale)(x.to(lq.device)).cpu(), hq, o.Scale, ImageMetrics.InteriorMarginLq);
    }

    /// <summary>A large image: PSNR/SSIM by bands of the tiled output (<see cref="BandMetrics"/>); the VGG distance and
    /// the shift-consistency error, which need whole images, on a central window of at most Window×Window HQ pixels.</summary>
    static Dictionary<string, double> MeasureLarge(EvalImage image, Func<Tensor, Tensor> upscale, EvalOptions o, VggFeatures? vgg, Device device)
    {
        using var noGrad = torch.no_grad();
        int s = o.Scale, h = (int)image.Lq.shape[2], w = (int)image.Lq.shape[3];
        if ((long)h * s != image.Height || (long)w * s != image.Width)
            throw new SrTrainException($"{image.Name}: LQ {w}x{h} times {s} is not the HQ's {image.Width}x{image.Height}");
        var bands = new BandMetrics(image.Height, image.Width, o.CropBorder);
        var tiler = new TiledUpscaler(upscale, s, UpscaleOptions.DefaultTile, TileOverlap);
        tiler.UpscaleBands(h, w,
            (top, left, th, tw) => image.Lq[TensorIndex.Ellipsis, TensorIndex.Slice(top, top + th), TensorIndex.Slice(left, left + tw)],
            (rows, first) =>
            {
                using var scope = torch.NewDisposeScope();
                bands.Add(rows.clamp(Scalars.Zero, Scalars.One), image.ReadHq(first, rows.shape[2]));
            });
        var m = bands.Result();

        using (var scope = torch.NewDisposeScope())
        {
            int wh = Math.Min(h, o.Window / s), ww = Math.Min(w, o.Window / s);
            int top = (h - wh) / 2, left = (w - ww) / 2;
            var lq = image.Lq[TensorIndex.Ellipsis, TensorIndex.Slice(top, top + wh), TensorIndex.Slice(left, left + ww)];
            var hq = image.ReadHq((long)top * s, (long)wh * s)[TensorIndex.Ellipsis, TensorIndex.Colon,
                TensorIndex.Slice((long)left * s, (long)(left + ww) * s)];
            AddWholeImageMetrics(m, lq, hq, Clamped(upscale)(lq).cpu(), upscale, o, vgg, device);
        }
        return m;
    }
}

/// <summary>Settings of an evaluation.</summary>
/// <param name="Scale">Upscaling factor (HQ = scale · LQ).</param>
/// <param name="CropBorder">Pixels dropped on every side before PSNR-Y/SSIM-Y (BasicSR: crop_border = scale). The
/// RGB metrics use the whole image, as validation during training does.</param>
/// <param name="ShiftK">LQ shift of the shift-consistency error (clipped to the image).</param>
/// <param name="WholeImageMaxPixels">HQ images up to this size are measured whole, as training's validation does. Larger
/// ones are upscaled in tiles and measured by bands (PSNR/SSIM over the whole image), with vgg_dist and shift_err on
/// the central <paramref name="Window"/>×<paramref name="Window"/> pixels, so memory stays bounded.</param>
/// <param name="Window">Side of that central window, in HQ pixels.</param>
internal sealed record EvalOptions(int Scale, int CropBorder, int ShiftK = 3, long WholeImageMaxPixels = EvalOptions.DefaultWholeImageMaxPixels,
    int Window = 512)
{
    /// <summary>1 MP (1024x1024 HQ): Set5, Set14, BSD100 and Urban100 images are measured whole.</summary>
    public const long DefaultWholeImageMaxPixels = 1L << 20;
}

/// <summary>One method's metrics on one image (or their mean, with <see cref="Image"/> = "mean").</summary>
internal sealed record EvalRow(string Image, string Method, IReadOnlyDictionary<string, double> Metrics);
