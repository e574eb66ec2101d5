using SrTrain.Runtime;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serilog;
using SrTrain.Data;
using SrTrain.Models;
using SrTrain.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Evaluation;

/// <summary>Settings of an evaluation.</summary>
/// <param name="Scale">Upscaling factor (HQ = scale · LQ).</param>
/// <param name="CropBorder">Pixels dropped on every side before PSNR-Y/SSIM-Y (BasicSR: crop_border = scale). The
/// RGB metrics use the whole image, as validation during training does.</param>
/// <param name="ShiftK">LQ shift of the shift-consistency error (clipped to the image).</param>
public sealed record EvalOptions(int Scale, int CropBorder, int ShiftK = 3);

/// <summary>One method's metrics on one image (or their mean, with <see cref="Image"/> = "mean").</summary>
public sealed record EvalRow(string Image, string Method, IReadOnlyDictionary<string, double> Metrics);

/// <summary>The result of EvalRunner.Run: per image and method, then the means.</summary>
public sealed record EvalReport(EvalOptions Options, IReadOnlyList<string> MetricNames, IReadOnlyList<EvalRow> Rows, IReadOnlyList<EvalRow> Means)
{
    public const string ModelMethod = "model";
    public const string BicubicMethod = "bicubic";

    public EvalRow Mean(string method) => Means.Single(r => r.Method == method);

    /// <summary>A fixed-width text table: one line per image and method, then the means.</summary>
    public string FormatTable()
    {
        int nameWidth = Math.Max(5, Rows.Select(r => r.Image.Length).DefaultIfEmpty(0).Max());
        int methodWidth = Math.Max(7, Rows.Select(r => r.Method.Length).DefaultIfEmpty(0).Max());
        var sb = new StringBuilder();
        sb.Append("image".PadRight(nameWidth)).Append("  ").Append("method".PadRight(methodWidth));
        foreach (var m in MetricNames) sb.Append(m.PadLeft(10));
        sb.AppendLine();
        foreach (var row in Rows.Concat(Means))
        {
            if (row.Image == "mean" && row.Method == Means[0].Method) sb.AppendLine(new string('-', nameWidth + 2 + methodWidth + 10 * MetricNames.Count));
            sb.Append(row.Image.PadRight(nameWidth)).Append("  ").Append(row.Method.PadRight(methodWidth));
            foreach (var m in MetricNames) sb.Append(Format(m, row.Metrics[m]).PadLeft(10));
            sb.AppendLine();
        }
        return sb.ToString();
    }

    static string Format(string metric, double v) => MetricFormat.Format(metric, v);

    /// <summary>CSV: image,method,metrics...; the means last with image "mean". Full precision (round-trip format).</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder("image,method," + string.Join(",", MetricNames) + "\n");
        foreach (var row in Rows.Concat(Means))
            sb.Append(Quote(row.Image)).Append(',').Append(row.Method).Append(',')
              .Append(string.Join(",", MetricNames.Select(m => row.Metrics[m].ToString("R", CultureInfo.InvariantCulture)))).Append('\n');
        return sb.ToString();
    }

    static string Quote(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>JSON: settings, <c>images</c> (name → method → metrics) and <c>mean</c> (method → metrics). A PSNR of
    /// identical images is written as the string "Infinity".</summary>
    public string ToJson(string? model = null, string? data = null)
    {
        JsonObject Metrics(EvalRow r) => new(MetricNames.Select(m => new KeyValuePair<string, JsonNode?>(m,
            double.IsFinite(r.Metrics[m]) ? JsonValue.Create(r.Metrics[m]) : JsonValue.Create(r.Metrics[m].ToString(CultureInfo.InvariantCulture)))));
        var images = new JsonArray();
        foreach (var group in Rows.GroupBy(r => r.Image))
        {
            var o = new JsonObject { ["name"] = group.Key };
            foreach (var r in group) o[r.Method] = Metrics(r);
            images.Add(o);
        }
        var root = new JsonObject
        {
            ["model"] = model,
            ["data"] = data,
            ["scale"] = Options.Scale,
            ["crop_border"] = Options.CropBorder,
            ["shift_k"] = Options.ShiftK,
            ["images"] = images,
            ["mean"] = new JsonObject(Means.Select(r => new KeyValuePair<string, JsonNode?>(r.Method, Metrics(r)))),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}

/// <summary>Measures a generator on HQ/LQ pairs with the metrics of validation during training (PSNR/SSIM on Y with
/// the border cropped and on RGB, as BasicSR computes them; the VGG-16 perceptual distance when weights are given; the
/// shift-consistency error), beside plain bicubic upscaling of the same LQ images. Bicubic is MATLAB's imresize (as
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
        names.Add("shift_err");
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
