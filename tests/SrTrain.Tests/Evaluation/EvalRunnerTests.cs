using System.Text.Json;
using Serilog.Core;
using SrTrain.Data;
using SrTrain.Evaluation;
using SrTrain.Runtime;
using SrTrain.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;

namespace SrTrain.Tests.Evaluation;

/// <summary>The bicubic row of `eval` against BasicSR's metrics on the reference images (TestData/Evaluation).</summary>
public sealed class EvalRunnerTests : IDisposable
{
    static EvalRunnerTests() => NativeRuntime.EnsureLoaded();

    readonly ITestOutputHelper _output;
    readonly TempDir _dir = new("srtrain-eval");

    public EvalRunnerTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _dir.Dispose();

    static string EvalData(string file) => Path.Combine(AppContext.BaseDirectory, "TestData", "Evaluation", file);

    /// <summary>The reference cases (name → BasicSR metric → value) and a folder holding just their HQ images.</summary>
    internal static Dictionary<string, Dictionary<string, double>> ReferenceCases(string hqDir, string? only = null)
    {
        Directory.CreateDirectory(hqDir);
        using var doc = JsonDocument.Parse(File.ReadAllText(EvalData("basicsr_metrics.json")));
        var cases = new Dictionary<string, Dictionary<string, double>>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var hq = c.GetProperty("hq").GetString()!;
            if (only != null && c.GetProperty("name").GetString() != only) continue;
            File.Copy(EvalData(hq), Path.Combine(hqDir, hq));
            cases[Path.GetFileNameWithoutExtension(hq)] = c.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number)
                .ToDictionary(p => p.Name, p => p.Value.GetDouble());
        }
        return cases;
    }

    /// <summary>Asserts one bicubic row against a reference case: 1e-4 dB for PSNR, 1e-5 for SSIM.</summary>
    internal static void AssertMatchesBasicSr(Dictionary<string, double> expected, Func<string, double> actual, ITestOutputHelper output, string name)
    {
        foreach (var (ours, theirs, tol) in new[]
                 {
                     ("psnr_y", "psnr_y_crop4", 1e-4), ("ssim_y", "ssim_y_crop4", 1e-5),
                     ("psnr_rgb", "psnr_rgb_crop0", 1e-4), ("ssim_rgb", "ssim_rgb_crop0", 1e-5),
                 })
        {
            double diff = Math.Abs(actual(ours) - expected[theirs]);
            output.WriteLine($"{name} {ours}: {actual(ours):F6} vs BasicSR {expected[theirs]:F6} (diff {diff:E2})");
            Assert.True(diff <= tol, $"{name} {ours}: {actual(ours)} vs {expected[theirs]}");
        }
    }

    [Fact]
    public void BicubicRow_ReproducesBasicSrMetrics_OnReferenceImages()
    {
        var cases = ReferenceCases(_dir.File("hq"));
        var pairs = ValidationSet.LoadValidationSet(_dir.File("hq"), null, 4);
        try
        {
            var report = EvalRunner.Run(pairs, null, new EvalOptions(4, 4), null, torch.CPU, Logger.None);
            Assert.Equal(new[] { "psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "shift_err", "shift_err_interior", "phase_err" }, report.MetricNames);
            Assert.Equal(cases.Count, report.Rows.Count);
            foreach (var row in report.Rows)
            {
                Assert.Equal(EvalReport.BicubicMethod, row.Method);
                AssertMatchesBasicSr(cases[row.Image], m => row.Metrics[m], _output, row.Image);
            }
            var mean = report.Mean(EvalReport.BicubicMethod);
            Assert.Equal(cases.Values.Average(c => c["psnr_y_crop4"]), mean.Metrics["psnr_y"], 1e-4);
            // MATLAB bicubic is shift-equivariant away from the borders: a small but non-zero error.
            Assert.InRange(mean.Metrics["shift_err"], 1e-6, 1e-3);
        }
        finally
        {
            foreach (var p in pairs) p.Dispose();
        }
    }

    [Fact]
    public void ModelRow_EqualsBicubicRow_ForABicubicModel_IncludingVggDistance()
    {
        // A "model" that is the bicubic baseline itself must score exactly like the bicubic row; the perceptual
        // distance (random-init VGG-16: only the plumbing is tested here) is positive against HQ.
        using var scope = torch.NewDisposeScope();
        var hq = ImageFile.ReadRgb(EvalData("chelsea_hq.png"))[.., 100..164, 200..264].unsqueeze(0).contiguous();
        var lq = MatlabResize.Resize(hq, 0.25);
        lq = lq.mul(255).round().div(255);
        var pairs = new[] { new ValidationPair("crop", lq, hq) };
        torch.manual_seed(0);
        using var vgg = new SrTrain.Models.VggFeatures(PerceptualDistance.Layers.Keys);
        vgg.eval();
        var report = EvalRunner.Run(pairs, x => MatlabResize.Resize(x, 4), new EvalOptions(4, 4), vgg, torch.CPU, Logger.None);
        Assert.Contains("vgg_dist", report.MetricNames);
        var model = report.Mean(EvalReport.ModelMethod).Metrics;
        var bicubic = report.Mean(EvalReport.BicubicMethod).Metrics;
        foreach (var m in report.MetricNames) Assert.Equal(bicubic[m], model[m], 12);
        Assert.True(bicubic["vgg_dist"] > 0);
        Assert.Matches(@"(?m)^crop\s+model\s+\d", report.FormatTable());
    }

    [Theory]
    [InlineData(7)]
    [InlineData(64)]
    public void BandMetrics_EqualWholeImageMetrics_Exactly(int bandRows)
    {
        // PSNR/SSIM of large images are summed band by band; they must be the whole-image numbers, not estimates.
        using var scope = torch.NewDisposeScope();
        var hq = ImageFile.ReadRgb(EvalData("chelsea_hq.png")).unsqueeze(0);
        var sr = ImageFile.ReadRgb(EvalData("chelsea_bicubic_up_x4.png")).unsqueeze(0);
        int h = (int)hq.shape[2], w = (int)hq.shape[3];
        var bands = new BandMetrics(h, w, 4);
        for (int r = 0; r < h; r += bandRows)
        {
            int n = Math.Min(bandRows, h - r);
            bands.Add(sr.narrow(2, r, n), hq.narrow(2, r, n));
        }
        var m = bands.Result();
        Assert.Equal(Metrics.PsnrY(sr, hq, 4), m["psnr_y"]);
        Assert.Equal(Metrics.SsimY(sr, hq, 4), m["ssim_y"]);
        Assert.Equal(Metrics.PsnrRgb(sr, hq, 0), m["psnr_rgb"]);
        Assert.Equal(Metrics.SsimRgb(sr, hq, 0), m["ssim_rgb"]);
    }

    [Fact]
    public void LargeImagePath_MeasuresTheWholeImage_InTiles_LikeTheWholeImagePath()
    {
        // An image above WholeImageMaxPixels is upscaled in tiles and measured by bands; for the bicubic row (exact in
        // tiles up to float rounding) its PSNR/SSIM must match the whole-image path's. shift_err comes from a window.
        using var scope = torch.NewDisposeScope();
        var hqDir = Path.Combine(_dir.Path, "hq");
        Directory.CreateDirectory(hqDir);
        File.Copy(EvalData("coffee_hq.png"), Path.Combine(hqDir, "coffee_hq.png"));
        var whole = EvalRunner.RunFolder(hqDir, null, [], new EvalOptions(4, 4), null, torch.CPU, Logger.None);
        var large = EvalRunner.RunFolder(hqDir, null, [], new EvalOptions(4, 4, WholeImageMaxPixels: 0, Window: 128), null, torch.CPU, Logger.None);
        var a = whole.Mean(EvalReport.BicubicMethod).Metrics;
        var b = large.Mean(EvalReport.BicubicMethod).Metrics;
        foreach (var name in new[] { "psnr_y", "psnr_rgb" }) Assert.Equal(a[name], b[name], 3);
        foreach (var name in new[] { "ssim_y", "ssim_rgb" }) Assert.Equal(a[name], b[name], 5);
        Assert.True(b["shift_err"] > 0 && b["shift_err"] < 1e-2, $"shift_err {b["shift_err"]}");
    }
}
