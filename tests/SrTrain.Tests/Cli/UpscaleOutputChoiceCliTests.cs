using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SrTrain.Cli;
using SrTrain.Tests.Support;
using static SrTrain.Tests.Cli.UpscaleCliHarness;

namespace SrTrain.Tests.Cli;

/// <summary>`upscale` writes what was asked or says why not (issue 22, items 8 and 13): transparency is never dropped
/// silently, an incremental batch that only skips existing outputs succeeds, and an -o file name never becomes a folder
/// or a file in another format than its name says.</summary>
[Trait("Speed", "process")]
public sealed class UpscaleOutputChoiceCliTests : IDisposable
{
    readonly TempDir _dir = new("srtrain-upscale-choice");

    public void Dispose() => _dir.Dispose();

    string P(string name) => _dir.File(name);

    void SaveRgba(string path)
    {
        using var crop = PhotoCrop(16, 12);
        using var rgba = crop.CloneAs<Rgba32>();
        // Left half fully transparent over a bright red that must never show.
        rgba.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < 8; x++) row[x] = new Rgba32(255, 0, 0, 0);
            }
        });
        rgba.Save(path, new PngEncoder { ColorType = PngColorType.RgbWithAlpha });
    }

    [Fact]
    public void ExtJpg_OfAnRgbaPng_WritesPng_AndSaysSo_WhileOpaqueImagesBecomeJpeg()
    {
        SaveRgba(P("logo.png"));
        using (var crop = PhotoCrop(16, 12)) crop.Save(P("photo.png"));
        var (code, log) = Run("upscale", P("logo.png"), P("photo.png"), "--ext", "jpg", "--model", RrdbX4, "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);

        Assert.False(File.Exists(P("logo_x4.jpg")));
        Assert.Equal(PngFormat.Instance, Image.DetectFormat(P("logo_x4.png")));
        using (var got = Image.Load<Rgba32>(P("logo_x4.png")))
            Assert.Equal(0, got[2, 2].A);
        Assert.Equal(JpegFormat.Instance, Image.DetectFormat(P("photo_x4.jpg")));
        Assert.Single(log.Split('\n'), l => l.Contains("WRN") && l.Contains("logo.png has transparency") && l.Contains("logo_x4.png"));
    }

    [Fact]
    public void AnExactJpegName_ForAnRgbaPng_IsRefusedInOneLine_AndNothingIsWritten()
    {
        SaveRgba(P("logo.png"));
        var (code, log) = Run("upscale", P("logo.png"), "-o", P("logo-big.jpg"), "--model", RrdbX4, "--device", "cpu");
        Assert.Equal(CliApp.ExitUserError, code);
        Assert.False(File.Exists(P("logo-big.jpg")));
        Assert.Single(log.Split('\n'), l => l.Contains("ERR") && l.Contains("transparency") && l.Contains("logo-big.png"));
    }

    [Fact]
    public void ABatchThatOnlySkipsExistingOutputs_Exits0_AndCountsTheSkips()
    {
        Directory.CreateDirectory(P("in"));
        using (var crop = PhotoCrop(16, 12))
        {
            crop.Save(P("in/a.png"));
            crop.Save(P("in/b.png"));
        }
        var (code, log) = Run("upscale", P("in"), "-o", P("out"), "--model", RrdbX4, "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        var before = File.ReadAllBytes(P("out/a_x4.png"));

        // One new image: the rerun writes it and skips the two done before.
        using (var crop = PhotoCrop(12, 16)) crop.Save(P("in/c.png"));
        (code, log) = Run("upscale", P("in"), "-o", P("out"), "--model", RrdbX4, "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        Assert.Contains("Upscaled 1 image(s); 2 skipped (output exists), 0 failed", log);
        Assert.Equal(before, File.ReadAllBytes(P("out/a_x4.png")));
        Assert.True(File.Exists(P("out/c_x4.png")));
    }

    [Fact]
    public void OutputFileName_WithAnotherExt_IsRefused_InsteadOfAJpegNamedJpg()
    {
        using (var crop = PhotoCrop(16, 12)) crop.Save(P("r.png"));
        var (code, log) = Run("upscale", P("r.png"), "-o", P("r2.jpg"), "--ext", "png", "--model", RrdbX4, "--device", "cpu");
        Assert.Equal(CliApp.ExitUserError, code);
        var line = Assert.Single(log.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--ext png", line);
        Assert.Contains("r2.png", line);
        Assert.Empty(Directory.GetFiles(_dir.Path, "r2*"));

        // Without --ext the name's extension decides: a JPEG.
        (code, log) = Run("upscale", P("r.png"), "-o", P("r2.jpg"), "--model", RrdbX4, "--device", "cpu");
        Assert.True(code == CliApp.ExitOk, log);
        Assert.Equal(JpegFormat.Instance, Image.DetectFormat(P("r2.jpg")));
    }

    [Fact]
    public void OutputFileName_WithSeveralInputs_IsRefused_InsteadOfAFolderNamedLikeAnImage()
    {
        using (var crop = PhotoCrop(16, 12))
        {
            crop.Save(P("a.png"));
            crop.Save(P("b.png"));
        }
        var (code, log) = Run("upscale", P("a.png"), P("b.png"), "-o", P("x.jpg"), "--model", RrdbX4, "--device", "cpu");
        Assert.Equal(CliApp.ExitUserError, code);
        var line = Assert.Single(log.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("-o " + P("x.jpg"), line);
        Assert.Contains("2 arguments", line);
        Assert.False(Directory.Exists(P("x.jpg")));
        Assert.False(File.Exists(P("x.jpg")));
    }
}
