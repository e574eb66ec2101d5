using SixLabors.ImageSharp;
using SrTrain.Cli;
using SrTrain.Config;
using SrTrain.Inference;
using SrTrain.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static SrTrain.Tests.Cli.UpscaleCliHarness;
using static SrTrain.Tests.Export.ExportHarness;
using static TorchSharp.torch;

namespace SrTrain.Tests.Export;

/// <summary>`srtrain export --format onnx`, run by ONNX Runtime, against `srtrain upscale --tile 0` on the same images:
/// every architecture and scale SrTrain trains, in float32 and float16, on three photo crops of odd sizes.</summary>
public sealed class OnnxExportTests : IDisposable
{
    const double Fp32Tolerance = 1e-4, Fp16Tolerance = 2e-2;

    readonly ITestOutputHelper _output;
    readonly TempDir _dir = new("srtrain-export-onnx");

    public OnnxExportTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _dir.Dispose();

    public static IEnumerable<object[]> Architectures() =>
        AllArchitectures.SelectMany(a => new[] { new object[] { a.Type, a.Scale, false }, [a.Type, a.Scale, true] });

    // 24 exports and upscales, about a minute on two cores: the batch and opset tests below keep RRDBNet x2/x1 (the
    // padded, pixel-unshuffled graph) in the fast suite.
    [Theory]
    [Trait("Speed", "slow")]
    [MemberData(nameof(Architectures))]
    public void OnnxFile_RunByOnnxRuntime_MatchesUntiledUpscale_OnOddSizedImages(GeneratorType type, int scale, bool half)
    {
        var pth = SaveGenerator(_dir.File("net.pth"), type, scale);
        var crops = SaveOddCrops(_dir.Path);
        var onnx = _dir.File("net.onnx");
        var (code, log) = Run(["export", "--model", pth, "-o", onnx, .. (half ? new[] { "--fp16" } : [])]);
        Assert.True(code == CliApp.ExitOk, log);
        (code, log) = Run(["upscale", .. crops, "--model", pth, "--tile", "0", "-o", _dir.File("up"), "--device", "cpu"]);
        Assert.True(code == CliApp.ExitOk, log);

        using var session = Session(onnx);
        using var upscaler = Upscaler.Load(pth, torch.CPU);
        double tolerance = half ? Fp16Tolerance : Fp32Tolerance;
        foreach (var crop in crops)
        {
            using var scope = torch.NewDisposeScope();
            var x = Input(crop);
            var y = ExportHarness.Run(session, x, half);
            Assert.Equal(new[] { 1L, 3, x.shape[2] * scale, x.shape[3] * scale }, y.shape);
            // The command's own output file (16-bit, clamped) and, unclamped, the network upscale runs.
            var written = Levels(_dir.File("up", Path.GetFileNameWithoutExtension(crop) + $"_x{scale}.png"), out _, out int depth);
            Assert.Equal(16, depth);
            double vsFile = MaxAbsDiff(ToLevels(y.clamp(0, 1), 65535), written) / 65535;
            var raw = upscaler.Run(x);
            double vsRaw = MaxAbs(y, raw);
            _output.WriteLine($"{type} x{scale} {(half ? "fp16" : "fp32")} {Path.GetFileName(crop)}: max |onnx - upscale file| {vsFile:E2}, " +
                              $"max |onnx - network| {vsRaw:E2} (output range {raw.min().item<float>():F2}..{raw.max().item<float>():F2})");
            Assert.True(vsFile <= tolerance, $"{Path.GetFileName(crop)}: {vsFile} against the upscale output");
            Assert.True(vsRaw <= tolerance, $"{Path.GetFileName(crop)}: {vsRaw} against the network");
        }
    }

    [Fact]
    public void OnnxFile_TakesABatch_AndDeclaresDynamicSizes_AndTheModelInItsMetadata()
    {
        var pth = SaveGenerator(_dir.File("net.pth"), GeneratorType.RRDBNet, 2);
        var onnx = _dir.File("net.onnx");
        var (code, log) = Run("export", "--model", pth, "-o", onnx);
        Assert.True(code == CliApp.ExitOk, log);
        using var session = Session(onnx);
        var meta = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal("RRDBNet", meta["architecture"]);
        Assert.Equal("2", meta["scale"]);
        Assert.Equal("fp32", meta["precision"]);
        Assert.Equal("srtrain", session.ModelMetadata.ProducerName);
        Assert.Equal(new[] { "batch", "", "height", "width" }, session.InputMetadata["input"].SymbolicDimensions);
        Assert.Equal(new[] { -1, 3, -1, -1 }, session.InputMetadata["input"].Dimensions);

        using var scope = torch.NewDisposeScope();
        using var upscaler = Upscaler.Load(pth, torch.CPU);
        using (var a = PhotoCrop(21, 15)) a.Save(_dir.File("a.png"));
        var x = cat([Input(_dir.File("a.png")), Input(_dir.File("a.png")).flip(3)], 0);
        var y = ExportHarness.Run(session, x, half: false);
        for (int i = 0; i < 2; i++)
            Assert.True(MaxAbs(y[i].unsqueeze(0), upscaler.Run(x[i].unsqueeze(0))) <= Fp32Tolerance);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void RrdbNetX1AndX2_PadLikeUpscale_DownToOnePixelSides(int scale)
    {
        // upscale reflects to the unshuffle's multiple, and repeats the edge where a side is not longer than its pad.
        var pth = SaveGenerator(_dir.File("net.pth"), GeneratorType.RRDBNet, scale);
        var onnx = _dir.File("net.onnx");
        var (code, log) = Run("export", "--model", pth, "-o", onnx);
        Assert.True(code == CliApp.ExitOk, log);
        using var session = Session(onnx);
        using var upscaler = Upscaler.Load(pth, torch.CPU);
        using var gen = new Generator(5);
        foreach (var (w, h) in new[] { (1, 1), (2, 2), (3, 2), (2, 5), (5, 1), (3, 3), (6, 7) })
        {
            using var scope = torch.NewDisposeScope();
            var x = torch.rand([1, 3, h, w], generator: gen);
            double diff = MaxAbs(ExportHarness.Run(session, x, half: false), upscaler.Run(x));
            _output.WriteLine($"RRDBNet x{scale} {w}x{h}: max |onnx - network| {diff:E2}");
            Assert.True(diff <= Fp32Tolerance, $"{w}x{h}: {diff}");
        }
    }

    [Theory]
    [InlineData(13)]
    [InlineData(18)]
    [InlineData(21)]
    public void OtherOpsets_RunInOnnxRuntime_WithTheSameResult(int opset)
    {
        var pth = SaveGenerator(_dir.File("net.pth"), GeneratorType.RRDBNet, 1);
        var onnx = _dir.File("net.onnx");
        var (code, log) = Run("export", "--model", pth, "-o", onnx, "--opset", opset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(code == CliApp.ExitOk, log);
        using var session = Session(onnx);
        using var upscaler = Upscaler.Load(pth, torch.CPU);
        using var scope = torch.NewDisposeScope();
        using (var a = PhotoCrop(19, 11)) a.Save(_dir.File("a.png"));
        var x = Input(_dir.File("a.png"));
        Assert.True(MaxAbs(ExportHarness.Run(session, x, half: false), upscaler.Run(x)) <= Fp32Tolerance);
    }
}
