using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SrTrain.Cli;
using SrTrain.Models;
using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Tests.Cli;

/// <summary>Runs the real `srtrain` command tree in-process and captures what it prints (the console logger writes to
/// Console.Out, which CliApp's logger picks up after the redirect). Test collections run one at a time
/// (xunit.runner.json), so redirecting the global console is safe.</summary>
internal static class UpscaleCliHarness
{
    static UpscaleCliHarness() => NativeRuntime.EnsureLoaded();

    public static string TestFile(string file) => Path.Combine(AppContext.BaseDirectory, "TestData", "Inference", file);

    public static string RrdbX4 => SrTrain.Tests.Models.ReferenceData.PathOf("rrdbnet_x4_nf16_nb2_gc8.pth");
    public static string RrdbX2 => SrTrain.Tests.Models.ReferenceData.PathOf("rrdbnet_x2_nf16_nb1_gc8.pth");

    /// <summary>SRVGGNetCompact (16 features, 4 body convs, x4) trained with the quickstart recipe for 600 steps: a
    /// real model whose output looks like the photo.</summary>
    public const string TrainedSrVgg = "srvgg_x4_nf16_nc4_quickstart.pth";

    public static (int Code, string Output) Run(params string[] args)
    {
        var original = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            int code = CliApp.RunAsync(args).GetAwaiter().GetResult();
            return (code, captured.ToString());
        }
        finally
        {
            Console.SetOut(original);
        }
    }

    /// <summary>The generator in <paramref name="path"/> applied directly (no tiling, no padding), clamped to [0,1]:
    /// what the command's output must match.</summary>
    public static Tensor Direct(string path, Tensor lq)
    {
        using var net = NetworkFactory.LoadGenerator(path, out _);
        net.eval();
        using var noGrad = torch.no_grad();
        return net.call(lq).clamp(0, 1);
    }

    /// <summary>Pixels of a PNG as (C,H,W) float64 levels (0..255 or 0..65535 as stored), with C = 1 (grey),
    /// 2 (grey+alpha), 3 or 4 as the file holds them.</summary>
    public static double[,,] Levels(string path, out int channels, out int bitDepth)
    {
        var png = Image.Identify(path).Metadata.GetPngMetadata();
        bitDepth = png.BitDepth == SixLabors.ImageSharp.Formats.Png.PngBitDepth.Bit16 ? 16 : 8;
        channels = png.ColorType switch
        {
            SixLabors.ImageSharp.Formats.Png.PngColorType.Grayscale => 1,
            SixLabors.ImageSharp.Formats.Png.PngColorType.GrayscaleWithAlpha => 2,
            SixLabors.ImageSharp.Formats.Png.PngColorType.Rgb => 3,
            _ => 4,
        };
        using var image = Image.Load<Rgba64>(path);
        int h = image.Height, w = image.Width, c = channels;
        double div = bitDepth == 16 ? 1 : 257;
        var result = new double[c, h, w];
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < w; x++)
                {
                    var p = row[x];
                    double[] v = c switch
                    {
                        1 => [p.R],
                        2 => [p.R, p.A],
                        3 => [p.R, p.G, p.B],
                        _ => [p.R, p.G, p.B, p.A],
                    };
                    for (int k = 0; k < c; k++) result[k, y, x] = v[k] / div;
                }
            }
        });
        return result;
    }

    /// <summary>(C,H,W) or (1,C,H,W) tensor in [0,1] → levels of <paramref name="max"/> (unrounded).</summary>
    public static double[,,] ToLevels(Tensor t, double max)
    {
        var chw = t.dim() == 4 ? t[0] : t;
        int c = (int)chw.shape[0], h = (int)chw.shape[1], w = (int)chw.shape[2];
        var data = chw.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        var result = new double[c, h, w];
        for (int k = 0; k < c; k++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    result[k, y, x] = data[(k * h + y) * w + x] * max;
        return result;
    }

    public static double MaxAbsDiff(double[,,] a, double[,,] b)
    {
        Assert.Equal(a.GetLength(0), b.GetLength(0));
        Assert.Equal(a.GetLength(1), b.GetLength(1));
        Assert.Equal(a.GetLength(2), b.GetLength(2));
        double m = 0;
        for (int k = 0; k < a.GetLength(0); k++)
            for (int y = 0; y < a.GetLength(1); y++)
                for (int x = 0; x < a.GetLength(2); x++)
                    m = Math.Max(m, Math.Abs(a[k, y, x] - b[k, y, x]));
        return m;
    }

    /// <summary>Channel <paramref name="c"/> of a level array as its own one-channel array.</summary>
    public static double[,,] Channel(double[,,] a, int c, int count = 1)
    {
        var r = new double[count, a.GetLength(1), a.GetLength(2)];
        for (int k = 0; k < count; k++)
            for (int y = 0; y < a.GetLength(1); y++)
                for (int x = 0; x < a.GetLength(2); x++)
                    r[k, y, x] = a[c + k, y, x];
        return r;
    }

    /// <summary>A crop of a real photo (chelsea, LQ) as 8-bit RGB pixels.</summary>
    public static Image<Rgb24> PhotoCrop(int width, int height)
    {
        var image = Image.Load<Rgb24>(TestFile("chelsea_lqx4.png"));
        image.Mutate(ctx => ctx.Crop(new Rectangle(30, 20, width, height)));
        return image;
    }
}
