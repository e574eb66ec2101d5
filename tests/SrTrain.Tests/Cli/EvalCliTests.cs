using System.Globalization;
using System.Text.Json;
using SrTrain.Cli;
using SrTrain.Tests.Evaluation;
using SrTrain.Tests.Support;
using Xunit.Abstractions;
using static SrTrain.Tests.Cli.UpscaleCliHarness;

namespace SrTrain.Tests.Cli;

/// <summary>`srtrain eval` end to end on the reference images with a trained model.</summary>
[Trait("Speed", "process")]
public sealed class EvalCliTests : IDisposable
{
    readonly ITestOutputHelper _output;
    readonly TempDir _dir = new("srtrain-eval-cli");

    public EvalCliTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _dir.Dispose();

    string P(string name) => _dir.File(name);

    [Fact]
    public void Eval_WritesTableCsvAndJson_WithBicubicRowMatchingBasicSr_AndModelRowBeside()
    {
        // One image keeps the test short; EvalRunnerTests checks both reference images.
        var cases = EvalRunnerTests.ReferenceCases(P("hq"), only: "chelsea");
        var (code, log) = Run("eval", "--model", TestFile(TrainedSrVgg), "--data", P("hq"), "--csv", P("r/eval.csv"),
            "--json", P("r/eval.json"), "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        _output.WriteLine(log);

        using var doc = JsonDocument.Parse(File.ReadAllText(P("r/eval.json")));
        var root = doc.RootElement;
        Assert.Equal(4, root.GetProperty("scale").GetInt32());
        Assert.Equal(4, root.GetProperty("crop_border").GetInt32());
        foreach (var image in root.GetProperty("images").EnumerateArray())
        {
            var name = image.GetProperty("name").GetString()!;
            var bicubic = image.GetProperty("bicubic");
            EvalRunnerTests.AssertMatchesBasicSr(cases[name], m => bicubic.GetProperty(m).GetDouble(), _output, name);
            // The trained model is within a few dB of bicubic (600 CPU steps), not garbage.
            // A single model's rows are named after it, as several models' are (not "model").
            double modelPsnr = image.GetProperty(Path.GetFileNameWithoutExtension(TrainedSrVgg)).GetProperty("psnr_y").GetDouble();
            Assert.InRange(modelPsnr, bicubic.GetProperty("psnr_y").GetDouble() - 5, 60);
        }

        var csv = File.ReadAllLines(P("r/eval.csv"));
        Assert.Equal("image,method,psnr_y,ssim_y,psnr_rgb,ssim_rgb,shift_err,shift_err_interior,phase_err", csv[0]);
        Assert.Equal(1 + 2 * cases.Count + 2, csv.Length);
        var meanBicubic = csv.Single(l => l.StartsWith("mean,bicubic,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(cases.Values.Average(c => c["psnr_y_crop4"]), double.Parse(meanBicubic[2], CultureInfo.InvariantCulture), 1e-4);
        Assert.Contains(log.Split('\n'), l => l.StartsWith("mean", StringComparison.Ordinal) && l.Contains("bicubic"));
        Assert.Contains(log.Split('\n'), l => l.StartsWith("mean", StringComparison.Ordinal) && l.Contains(Path.GetFileNameWithoutExtension(TrainedSrVgg)));
        Assert.DoesNotContain(csv, l => l.Contains(",model,"));
    }

    [Fact]
    public void Eval_RefusesAScaleTheModelDoesNotHave()
    {
        EvalRunnerTests.ReferenceCases(P("hq"), only: "chelsea");
        var (code, log) = Run("eval", "--model", RrdbX2, "--data", P("hq"), "--scale", "4", "--device", "cpu");
        Assert.Equal(CliApp.ExitUserError, code);
        Assert.Contains("--scale 4: the model upscales x2", log);
    }
}
