using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using Size = SixLabors.ImageSharp.Size;
using SrTrain.Cli;
using SrTrain.Data;
using SrTrain.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static SrTrain.Tests.Cli.UpscaleCliHarness;
using static TorchSharp.torch;

namespace SrTrain.Tests.Cli;

/// <summary>`srtrain upscale` end to end: real weight files from PyTorch, real photos, files written and read back.</summary>
[Trait("Speed", "process")]
public sealed class UpscaleCliTests : IDisposable
{
    readonly ITestOutputHelper _output;
    readonly TempDir _dir = new("srtrain-upscale-cli");

    public UpscaleCliTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _dir.Dispose();

    string P(string name) => _dir.File(name);

    [Fact]
    public void ReferenceRrdbX4_ThroughUpscale_ReproducesPyTorchOutput_From16BitPng()
    {
        // The PyTorch reference input as a 16-bit PNG (quantised by at most 0.5/65535), upscaled by the command with
        // BasicSR's weight file, read back from the 16-bit output: must match PyTorch's output up to that quantisation.
        using var scope = torch.NewDisposeScope();
        var input = SrTrain.Tests.Models.ReferenceData.ReadF32("rrdbnet_x4_nf16_nb2_gc8.input.f32", 1, 3, 12, 10);
        var expected = SrTrain.Tests.Models.ReferenceData.ReadF32("rrdbnet_x4_nf16_nb2_gc8.output.f32", 1, 3, 48, 40).clamp(0, 1);
        var levels = ToLevels(input, 65535);
        var pixels = new Rgb48[12 * 10];
        for (int y = 0; y < 12; y++)
            for (int x = 0; x < 10; x++)
                pixels[y * 10 + x] = new Rgb48(Lv(levels[0, y, x]), Lv(levels[1, y, x]), Lv(levels[2, y, x]));
        using (var img = Image.LoadPixelData(pixels, 10, 12))
            img.Save(P("ref.png"), new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 });

        var (code, log) = Run("upscale", P("ref.png"), "--model", RrdbX4, "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        var got = Levels(P("ref_x4.png"), out int channels, out int depth);
        Assert.Equal((3, 16), (channels, depth));
        double maxDiff = MaxAbsDiff(got, ToLevels(expected, 65535)) / 65535;
        _output.WriteLine($"max |upscale - PyTorch| = {maxDiff:E3}");
        Assert.True(maxDiff < 1e-4, $"max difference {maxDiff}");

        static ushort Lv(double v) => (ushort)Math.Round(v);
    }

    [Fact]
    public void ReferenceRrdbX2_UpscalesOddSizedPhoto_ByPaddingAndCropping()
    {
        // RRDBNet x2 pixel-unshuffles its input, so it cannot take odd sides: the command reflect-pads and crops back.
        // Away from the padded bottom/right edges the result must equal the network on the even-sized part.
        using (var crop = PhotoCrop(41, 33)) crop.Save(P("odd.png"));
        var (code, log) = Run("upscale", P("odd.png"), "--model", RrdbX2, "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        var got = Levels(P("odd_x2.png"), out _, out _);
        Assert.Equal(new[] { 3, 66, 82 }, new[] { got.GetLength(0), got.GetLength(1), got.GetLength(2) });

        using var scope = torch.NewDisposeScope();
        var even = ImageFile.ReadRgb(P("odd.png"))[.., ..32, ..40].unsqueeze(0);
        var direct = ToLevels(Direct(RrdbX2, even), 255);
        // Compare the top-left 40x48 output pixels (20x24 LQ), well inside the shared part.
        double diff = MaxAbsDiff(Crop(got, 40, 48), Crop(direct, 40, 48));
        _output.WriteLine($"max level difference in the top-left region: {diff}");
        Assert.True(diff <= 1, $"{diff} levels");
    }

    [Fact]
    public void Photo_ThroughUpscale_MatchesGeneratorApplied_Directly()
    {
        using (var crop = PhotoCrop(56, 40)) crop.Save(P("chelsea.png"));
        var (code, log) = Run("upscale", P("chelsea.png"), "-o", P("out"), "--model", RrdbX4, "--tile", "0", "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        using var scope = torch.NewDisposeScope();
        var expected = ToLevels(Direct(RrdbX4, ImageFile.ReadRgb(P("chelsea.png")).unsqueeze(0)), 255);
        var got = Levels(P("out/chelsea_x4.png"), out int channels, out int depth);
        Assert.Equal((3, 8), (channels, depth));
        Assert.True(MaxAbsDiff(got, expected) <= 0.5 + 1e-3, "output differs from the generator's rounded output");
        Assert.Contains("chelsea.png 56x40", log);
    }

    [Fact]
    public void RunFolder_AsModel_UsesItsLatestCheckpoint_OfATrainedCompactModel()
    {
        // A run folder as training lays it out; checkpoint 100 holds another network, so using it would show.
        var store = new SrTrain.Checkpoints.CheckpointStore(P("runs/quick/checkpoints"));
        store.Save(100, d => File.Copy(RrdbX4, Path.Combine(d, "net_g_ema.pth")));
        store.Save(200, d => File.Copy(TestFile(TrainedSrVgg), Path.Combine(d, "net_g_ema.pth")));
        File.Copy(TestFile("chelsea_lqx4.png"), P("chelsea.png"));

        var (code, log) = Run("upscale", P("chelsea.png"), "--model", P("runs/quick"), "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        Assert.Contains("run quick, checkpoint 200", log);
        Assert.Contains("SRVGGNetCompact x4", log);
        using var scope = torch.NewDisposeScope();
        var expected = ToLevels(Direct(TestFile(TrainedSrVgg), ImageFile.ReadRgb(P("chelsea.png")).unsqueeze(0)), 255);
        Assert.True(MaxAbsDiff(Levels(P("chelsea_x4.png"), out _, out _), expected) <= 0.5 + 1e-3);
    }

    [Fact]
    public void GreyPng_StaysGrey_WithTheGeneratorsBt601Grey()
    {
        using (var crop = PhotoCrop(24, 20))
        using (var greyImage = crop.CloneAs<L8>())
            greyImage.Save(P("grey.png"), new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 });
        var (code, log) = Run("upscale", P("grey.png"), "--model", RrdbX4, "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        var got = Levels(P("grey_x4.png"), out int channels, out int depth);
        Assert.Equal((1, 8), (channels, depth));

        using var scope = torch.NewDisposeScope();
        var rgb = Direct(RrdbX4, ImageFile.ReadRgb(P("grey.png")).unsqueeze(0));
        var grey = (rgb[0, 0] * 0.299 + rgb[0, 1] * 0.587 + rgb[0, 2] * 0.114).unsqueeze(0);
        Assert.True(MaxAbsDiff(got, ToLevels(grey, 255)) <= 0.5 + 1e-3);
    }

    [Fact]
    public void SixteenBitPng_Stays16Bit_WithFullPrecision()
    {
        // Low bits set on purpose, so an 8-bit path anywhere would show.
        using (var crop = PhotoCrop(24, 20))
        {
            var pixels = new Rgb48[24 * 20];
            int i = 0;
            crop.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height; y++)
                    foreach (var p in rows.GetRowSpan(y))
                    {
                        ushort Mix(byte v) => (ushort)(v * 256 + (i * 37 % 256));
                        pixels[i] = new Rgb48(Mix(p.R), Mix(p.G), Mix(p.B));
                        i++;
                    }
            });
            using var img = Image.LoadPixelData(pixels, 24, 20);
            img.Save(P("deep.png"), new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 });
        }
        var (code, log) = Run("upscale", P("deep.png"), "--model", RrdbX4, "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        var got = Levels(P("deep_x4.png"), out int channels, out int depth);
        Assert.Equal((3, 16), (channels, depth));
        using var scope = torch.NewDisposeScope();
        var expected = ToLevels(Direct(RrdbX4, ImageFile.ReadRgb(P("deep.png")).unsqueeze(0)), 65535);
        double diff = MaxAbsDiff(got, expected);
        _output.WriteLine($"max difference: {diff:F2} of 65535");
        Assert.True(diff <= 2, $"{diff} 16-bit levels");
    }

    [Theory]
    [InlineData("generator")]
    [InlineData("bicubic")]
    public void AlphaPng_KeepsAlpha_UpscaledAsAsked(string mode)
    {
        using (var crop = PhotoCrop(24, 20))
        using (var rgba = crop.CloneAs<Rgba32>())
        {
            rgba.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (int x = 0; x < row.Length; x++) row[x].A = (byte)(x < 8 ? 0 : x < 16 ? 128 + 4 * y : 255);
                }
            });
            rgba.Save(P("alpha.png"), new PngEncoder { ColorType = PngColorType.RgbWithAlpha, BitDepth = PngBitDepth.Bit8 });
        }
        var (code, log) = Run("upscale", P("alpha.png"), "--model", RrdbX4, "--alpha", mode, "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        var got = Levels(P("alpha_x4.png"), out int channels, out _);
        Assert.Equal(4, channels);

        using var scope = torch.NewDisposeScope();
        using var source = Image.Load<Rgba64>(P("alpha.png"));
        var alphaIn = torch.zeros(1, 1, 20, 24);
        for (int y = 0; y < 20; y++)
            for (int x = 0; x < 24; x++)
                alphaIn[0, 0, y, x] = source[x, y].A / 65535f;
        var rgb = Direct(RrdbX4, ImageFile.ReadRgb(P("alpha.png")).unsqueeze(0));
        Tensor alpha;
        if (mode == "generator")
        {
            var a3 = Direct(RrdbX4, alphaIn.expand(-1, 3, -1, -1).contiguous());
            alpha = (a3[0, 0] * 0.299 + a3[0, 1] * 0.587 + a3[0, 2] * 0.114).unsqueeze(0);
        }
        else
            alpha = nn.functional.interpolate(alphaIn, size: new long[] { 80, 96 }, mode: InterpolationMode.Bicubic, align_corners: false)[0].clamp(0, 1);
        Assert.True(MaxAbsDiff(Channel(got, 0, 3), ToLevels(rgb, 255)) <= 0.5 + 1e-3, "colour");
        Assert.True(MaxAbsDiff(Channel(got, 3), ToLevels(alpha, 255)) <= 0.5 + 1e-3, "alpha");
    }

    [Fact]
    public void PalettePngWithTransparency_KeepsItsAlpha()
    {
        // RGBA and RGB+tRNS kept their alpha, a palette PNG with tRNS lost it (came out opaque).
        using (var crop = PhotoCrop(24, 20))
        using (var rgba = crop.CloneAs<Rgba32>())
        {
            rgba.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (int x = 0; x < row.Length; x++) row[x].A = (byte)(x < 8 ? 0 : 255);
                }
            });
            rgba.Save(P("palette.png"), new PngEncoder { ColorType = PngColorType.Palette });
        }
        var bytes = File.ReadAllBytes(P("palette.png"));
        Assert.Equal(3, bytes[25]); // IHDR colour type 3: palette
        Assert.Contains("tRNS", System.Text.Encoding.ASCII.GetString(bytes));

        // Bicubic alpha: the reference network is untrained, so only bicubic gives alpha values known in advance.
        var (code, log) = Run("upscale", P("palette.png"), "--model", RrdbX4, "--alpha", "bicubic", "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        var got = Levels(P("palette_x4.png"), out int channels, out _);
        Assert.Equal(4, channels);
        double Mean(int x0, int x1)
        {
            double sum = 0;
            int n = 0;
            for (int y = 0; y < 80; y++)
                for (int x = x0; x < x1; x++) { sum += got[3, y, x]; n++; }
            return sum / n;
        }
        Assert.InRange(Mean(0, 24), 0, 20);      // transparent columns 0-7, x4, away from the edge
        Assert.InRange(Mean(40, 96), 235, 255);  // opaque
    }

    [Fact]
    public void ExistingOutput_IsLeftByteIdentical_AndSkippedWithExit0_WithoutOverwrite()
    {
        using (var crop = PhotoCrop(16, 12)) crop.Save(P("a.png"));
        File.WriteAllBytes(P("a_x4.png"), [1, 2, 3, 4]);
        var (code, log) = Run("upscale", P("a.png"), "--model", RrdbX4, "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, File.ReadAllBytes(P("a_x4.png")));
        Assert.Contains("exists; skipped", log);
        Assert.Empty(Directory.GetFiles(_dir.Path, ".*")); // no temporary file left behind

        (code, log) = Run("upscale", P("a.png"), "--model", RrdbX4, "--overwrite", "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        Assert.Equal(new Size(64, 48), Image.Identify(P("a_x4.png")).Size());
    }

    [Fact]
    public void MissingModel_GivesOneLineError_AndExit2()
    {
        using (var crop = PhotoCrop(16, 12)) crop.Save(P("a.png"));
        var (code, log) = Run("upscale", P("a.png"), "--model", P("nope.pth"));
        Assert.Equal(CliApp.ExitUserError, code);
        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("nope.pth", lines[0]);
        Assert.Contains("ERR", lines[0]);
        Assert.False(File.Exists(P("a_x4.png")));
    }

    [Fact]
    public void UnreadableFile_InAFolder_IsReportedAndSkipped_OthersWritten_Exit2()
    {
        Directory.CreateDirectory(P("in"));
        using (var crop = PhotoCrop(16, 12)) crop.Save(P("in/a.png"));
        using (var crop = PhotoCrop(12, 16)) crop.Save(P("in/c.jpg"));
        File.WriteAllText(P("in/b.png"), "not a png");
        var (code, log) = Run("upscale", P("in"), "-o", P("out"), "--model", RrdbX4, "--device", "cpu");
        Assert.Equal(CliApp.ExitUserError, code);
        Assert.Equal(new Size(64, 48), Image.Identify(P("out/a_x4.png")).Size());
        Assert.Equal(new Size(48, 64), Image.Identify(P("out/c_x4.jpg")).Size());
        Assert.False(File.Exists(P("out/b_x4.png")));
        Assert.Single(log.Split('\n'), l => l.Contains("ERR") && l.Contains("b.png"));
        Assert.Contains("Upscaled 2 image(s); 0 skipped (output exists), 1 failed", log);
    }

    [Fact]
    public void Glob_IsExpanded_AndOutputsGoBesideInputs()
    {
        using (var crop = PhotoCrop(16, 12))
        {
            crop.Save(P("p1.png"));
            crop.Save(P("p2.png"));
            crop.Save(P("q.png"));
        }
        var (code, log) = Run("upscale", _dir.File("p*.png"), "--model", RrdbX4, "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        Assert.True(File.Exists(P("p1_x4.png")) && File.Exists(P("p2_x4.png")));
        Assert.False(File.Exists(P("q_x4.png")));
    }

    static double[,,] Crop(double[,,] a, int h, int w)
    {
        var r = new double[a.GetLength(0), h, w];
        for (int k = 0; k < a.GetLength(0); k++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    r[k, y, x] = a[k, y, x];
        return r;
    }
}
