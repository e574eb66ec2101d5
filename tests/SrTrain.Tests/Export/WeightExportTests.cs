using System.Text.Json;
using SixLabors.ImageSharp;
using SrTrain.Cli;
using SrTrain.Config;
using SrTrain.Interop;
using SrTrain.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static SrTrain.Tests.Cli.UpscaleCliHarness;
using static SrTrain.Tests.Export.ExportHarness;

namespace SrTrain.Tests.Export;

/// <summary>`srtrain export --format safetensors|pth`: BasicSR's key names, which spandrel (chaiNNer, ComfyUI) detects
/// as ESRGAN and RealESRGAN Compact, and a round trip through `upscale` that changes no bit.</summary>
public sealed class WeightExportTests : IDisposable
{
    readonly ITestOutputHelper _output;
    readonly TempDir _dir = new("srtrain-export-weights");

    public WeightExportTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _dir.Dispose();

    public static IEnumerable<object[]> Architectures() => AllArchitectures.Select(a => new object[] { a.Type, a.Scale });

    [Theory]
    [MemberData(nameof(Architectures))]
    public void SafetensorsAndPth_RoundTripThroughUpscale_BitForBit(GeneratorType type, int scale)
    {
        var pth = SaveGenerator(_dir.File("net.pth"), type, scale);
        // 16-bit in, so upscale writes 16-bit out: equal files then mean equal outputs to 1/65535, not just to 1/255.
        using (var crop = PhotoCrop(13, 11))
        using (var wide = crop.CloneAs<SixLabors.ImageSharp.PixelFormats.Rgb48>())
            wide.Save(_dir.File("in.png"), new SixLabors.ImageSharp.Formats.Png.PngEncoder { BitDepth = SixLabors.ImageSharp.Formats.Png.PngBitDepth.Bit16 });
        var reference = Upscale(pth, "ref");
        foreach (var format in new[] { "safetensors", "pth" })
        {
            var exported = _dir.File($"exported.{format}");
            var (code, log) = Run("export", "--model", pth, "--format", format, "-o", exported);
            Assert.True(code == CliApp.ExitOk, log);
            using (torch.NewDisposeScope())
            {
                var a = WeightFile.Read(pth);
                var b = WeightFile.Read(exported);
                Assert.Equal(a.Keys, b.Keys);
                Assert.All(a, kv => Assert.Equal(kv.Value.bytes.ToArray(), b[kv.Key].bytes.ToArray())); // bit for bit
            }
            Assert.Equal(reference, Upscale(exported, format));
        }

        byte[] Upscale(string model, string name)
        {
            var (code, log) = Run("upscale", _dir.File("in.png"), "--model", model, "--tile", "0", "-o", _dir.File(name), "--device", "cpu");
            Assert.True(code == CliApp.ExitOk, log);
            return File.ReadAllBytes(_dir.File(name, $"in_x{scale}.png"));
        }
    }

    [Theory]
    [InlineData(GeneratorType.RRDBNet, 4)]
    [InlineData(GeneratorType.RRDBNet, 2)]
    [InlineData(GeneratorType.SRVGGNetCompact, 4)]
    public void Safetensors_HasTheKeysSpandrelDetects(GeneratorType type, int scale)
    {
        var pth = SaveGenerator(_dir.File("net.pth"), type, scale);
        var file = _dir.File("net.safetensors");
        var (code, log) = Run("export", "--model", pth, "-o", file);
        Assert.True(code == CliApp.ExitOk, log);
        var header = Header(file);
        if (type == GeneratorType.RRDBNet)
        {
            // spandrel's ESRGANArch: has_all(conv_first.weight, body.0.rdb1.conv1.weight, conv_body.weight, conv_last.weight);
            // it then counts model.N layers for the scale and reads x2/x1 from conv_first's 4x/16x input channels.
            foreach (var key in new[] { "conv_first.weight", "body.0.rdb1.conv1.weight", "conv_body.weight", "conv_last.weight", "conv_up1.weight", "conv_up2.weight", "conv_hr.weight" })
                Assert.True(header.ContainsKey(key), key);
            Assert.Equal(scale == 2 ? 12 : 3, Shape(header, "conv_first.weight")[1]);
            Assert.Equal(3, Shape(header, "conv_last.weight")[0]);
        }
        else
        {
            // spandrel's CompactArch: has_all(body.0.weight, body.1.weight); the last conv's bias gives out_ch·scale².
            Assert.True(header.ContainsKey("body.0.weight") && header.ContainsKey("body.1.weight"));
            int last = header.Keys.Where(k => k.StartsWith("body.", StringComparison.Ordinal))
                .Max(k => int.Parse(k.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(3 * scale * scale, Shape(header, $"body.{last}.bias")[0]);
        }
        Assert.All(header.Where(kv => kv.Key != "__metadata__"), kv => Assert.Equal("F32", kv.Value.GetProperty("dtype").GetString()));
    }

    [Fact]
    public void Pth_WrapsTheStateDict_InParamsEma()
    {
        var pth = SaveGenerator(_dir.File("net.pth"), GeneratorType.SRVGGNetCompact, 2);
        var file = _dir.File("out.pth");
        var (code, log) = Run("export", "--model", pth, "--format", "pth", "-o", file);
        Assert.True(code == CliApp.ExitOk, log);
        using var stream = File.OpenRead(file);
        var root = Assert.IsType<PyDict>(PthReader.ReadZip(stream, 1 << 30));
        Assert.Equal(new object[] { "params_ema" }, root.Items.Select(kv => kv.Key));
        Assert.Contains(Assert.IsType<PyDict>(root.Get("params_ema")).Items, kv => (string)kv.Key == "body.0.weight");
    }

    [Fact]
    public void Fp16Safetensors_HoldsHalfTensors_AndUpscalesWithinHalfPrecision()
    {
        var pth = SaveGenerator(_dir.File("net.pth"), GeneratorType.MSRResNet, 3);
        var file = _dir.File("half.safetensors");
        var (code, log) = Run("export", "--model", pth, "-o", file, "--fp16");
        Assert.True(code == CliApp.ExitOk, log);
        Assert.Contains("no MSRResNet", log); // the warning: spandrel will refuse it
        var header = Header(file);
        Assert.All(header.Where(kv => kv.Key != "__metadata__"), kv => Assert.Equal("F16", kv.Value.GetProperty("dtype").GetString()));
        Assert.True(new FileInfo(file).Length < new FileInfo(pth).Length * 0.6);

        using var scope = torch.NewDisposeScope();
        using (var crop = PhotoCrop(15, 9)) crop.Save(_dir.File("in.png"));
        var x = Input(_dir.File("in.png"));
        using var full = SrTrain.Inference.Upscaler.Load(pth, torch.CPU);
        using var half = SrTrain.Inference.Upscaler.Load(file, torch.CPU);
        double diff = MaxAbs(full.Run(x), half.Run(x));
        _output.WriteLine($"MSRResNet x3 fp16 safetensors vs fp32: max {diff:E2}");
        Assert.True(diff <= 2e-2, $"{diff}");
    }

    static Dictionary<string, JsonElement> Header(string safetensors)
    {
        var bytes = File.ReadAllBytes(safetensors);
        long n = BitConverter.ToInt64(bytes, 0);
        return JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(bytes.AsSpan(8, (int)n))!;
    }

    static long[] Shape(Dictionary<string, JsonElement> header, string key) =>
        header[key].GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
}
