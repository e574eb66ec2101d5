using System.Globalization;
using SrTrain.Cli;
using SrTrain.Interop;
using SrTrain.Tests.Evaluation;
using SrTrain.Tests.Support;
using SrTrain.Tests.Translational;
using Xunit.Abstractions;
using static SrTrain.Tests.Cli.UpscaleCliHarness;

namespace SrTrain.Tests.Cli;

/// <summary>Issue 24's check through `srtrain eval`: a generator with the classic period-scale artifact, written as a
/// real .pth file, scores shift_err 0 (corner-style shifts cannot see it) and a clearly larger phase_err than the same
/// network without the artifact.</summary>
[Trait("Speed", "process")]
public sealed class PhaseErrCliTests : IDisposable
{
    readonly ITestOutputHelper _output;
    readonly TempDir _dir = new("srtrain-phase-err");

    public PhaseErrCliTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Eval_OfAZeroWeightSrVggWithABias_HasShiftErrZero_ButTwiceThePhaseErrOfNearest()
    {
        var cases = EvalRunnerTests.ReferenceCases(_dir.File("hq"));
        using (var patterned = CraftedGenerators.PatternSrVgg(0.12f))
            WeightFile.Write(patterned.state_dict(), _dir.File("patterned.pth"));
        using (var nearest = CraftedGenerators.PatternSrVgg(0f))
            WeightFile.Write(nearest.state_dict(), _dir.File("nearest.pth"));
        var (code, log) = Run("eval", "--model", _dir.File("patterned.pth"), "--model", _dir.File("nearest.pth"), "--data", _dir.File("hq"),
            "--csv", _dir.File("eval.csv"), "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        _output.WriteLine(log);

        // The printed table keeps the long names apart.
        Assert.Contains("  shift_err  shift_err_interior  phase_err", log);
        var lines = File.ReadAllLines(_dir.File("eval.csv"));
        var header = lines[0].Split(',');
        Assert.Equal(["image", "method", "psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "shift_err", "shift_err_interior", "phase_err"], header);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToDictionary(
            f => (f[0], f[1]), f => header.Skip(2).Select((m, i) => (m, v: double.Parse(f[i + 2], CultureInfo.InvariantCulture))).ToDictionary(p => p.m, p => p.v));
        foreach (var image in cases.Keys.Append("mean"))
        {
            var (p, n, b) = (rows[(image, "patterned")], rows[(image, "nearest")], rows[(image, "bicubic")]);
            // Shifts by whole LQ pixels (k = 3 → 12 output pixels) keep the period-4 pattern in place.
            Assert.Equal(0.0, p["shift_err"]);
            Assert.Equal(0.0, p["shift_err_interior"]);
            Assert.Equal(0.0, n["shift_err"]);
            // The pattern costs PSNR...
            Assert.True(p["psnr_y"] < n["psnr_y"] - 4, $"{image}: PSNR-Y {p["psnr_y"]} vs nearest {n["psnr_y"]}");
            // ...and phase_err sees it: at least twice nearest's; bicubic changes less with the phase than nearest.
            Assert.True(p["phase_err"] >= 2 * n["phase_err"], $"{image}: phase_err {p["phase_err"]} vs nearest {n["phase_err"]}");
            Assert.True(b["phase_err"] < n["phase_err"], $"{image}: bicubic phase_err {b["phase_err"]} vs nearest {n["phase_err"]}");
        }
    }
}
