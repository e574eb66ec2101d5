using System.Text.Json;
using SrTrain.Data;
using SrTrain.Evaluation;
using SrTrain.Runtime;
using TorchSharp;
using Xunit.Abstractions;

namespace SrTrain.Tests.Evaluation;

public class MetricsTests(ITestOutputHelper output)
{
    static MetricsTests() => NativeRuntime.EnsureLoaded();

    static string DataPath(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "Evaluation", name);

    public static IEnumerable<object[]> ReferenceCases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(DataPath("basicsr_metrics.json")));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            yield return new object[] { c.GetProperty("name").GetString()! };
    }

    static JsonElement Reference(string name)
    {
        var doc = JsonDocument.Parse(File.ReadAllText(DataPath("basicsr_metrics.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name).Clone();
    }

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void PsnrAndSsim_MatchBasicSR_OnBicubicUpscaledPhoto(string name)
    {
        var r = Reference(name);
        using var sr = ImageFile.ReadRgb(DataPath(r.GetProperty("bicubic_up_x4").GetString()!));
        using var hq = ImageFile.ReadRgb(DataPath(r.GetProperty("hq").GetString()!));

        double psnrY = Metrics.PsnrY(sr, hq, 4), psnrRgb = Metrics.PsnrRgb(sr, hq, 0);
        double ssimY = Metrics.SsimY(sr, hq, 4), ssimRgb = Metrics.SsimRgb(sr, hq, 0);
        output.WriteLine($"{name}: PSNR-Y {psnrY:R} PSNR-RGB {psnrRgb:R} SSIM-Y {ssimY:R} SSIM-RGB {ssimRgb:R}");
        Assert.Equal(r.GetProperty("psnr_y_crop4").GetDouble(), psnrY, 1e-4);
        Assert.Equal(r.GetProperty("psnr_rgb_crop0").GetDouble(), psnrRgb, 1e-4);
        Assert.Equal(r.GetProperty("ssim_y_crop4").GetDouble(), ssimY, 1e-5);
        Assert.Equal(r.GetProperty("ssim_rgb_crop0").GetDouble(), ssimRgb, 1e-5);
    }

    [Fact]
    public void Psnr_IsInfinite_AndSsimIsOne_ForIdenticalImages()
    {
        using var a = torch.rand(3, 20, 24, generator: new torch.Generator(1));
        Assert.Equal(double.PositiveInfinity, Metrics.PsnrY(a, a, 2));
        Assert.Equal(1.0, Metrics.SsimRgb(a, a, 0), 12);
    }

    [Fact]
    public void PsnrRgb_EqualsClosedForm_ForAConstantOffsetOfOneLevel()
    {
        // Every value differs by exactly one 8-bit level: MSE 1, PSNR = 20·log10(255).
        using var a = torch.full(3, 16, 16, 100 / 255f);
        using var b = torch.full(3, 16, 16, 101 / 255f);
        Assert.Equal(20 * Math.Log10(255), Metrics.PsnrRgb(a, b, 0), 10);
    }

    [Fact]
    public void Quantize_RoundsToEightBitLevels_BeforeMeasuring()
    {
        // 0.3/255 apart: the same 8-bit level after rounding, so identical with quantize and not without.
        using var a = torch.full(3, 16, 16, 100 / 255f);
        using var b = torch.full(3, 16, 16, 100.3f / 255f);
        Assert.Equal(double.PositiveInfinity, Metrics.PsnrRgb(a, b, 0));
        Assert.Equal(20 * Math.Log10(255 / 0.3), Metrics.PsnrRgb(a, b, 0, quantize: false), 3);
    }
}
