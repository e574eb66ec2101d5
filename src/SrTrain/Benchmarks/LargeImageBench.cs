using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SrTrain.Benchmarks;

/// <summary>Peak resident memory of <c>upscale</c>, <c>eval</c> and <c>train</c> on large photos (<c>srtrain bench
/// --large-images</c>): each case runs as its own srtrain process, which reports its peak at the end of its log
/// (<c>--log-level debug</c>), so the figures are what a user's command takes, start-up included.</summary>
internal static partial class LargeImageBench
{
    /// <summary>One measured command.</summary>
    public sealed record Case(string Name, string[] Arguments);

    /// <summary>What a case took: its exit code, its peak resident memory (null where the platform does not say) and its
    /// wall time.</summary>
    public sealed record Result(Case Case, int ExitCode, long? PeakBytes, double Seconds);

    /// <summary>Makes a <paramref name="width"/>×<paramref name="height"/> photo-like PNG from a real photo: the photo
    /// enlarged twice (bicubic) and tiled with every other copy mirrored, so there are no hard seams and PNG compresses
    /// it no better than a photo.</summary>
    public static void MakePhoto(string source, int width, int height, string path)
    {
        using var src = Image.Load<Rgb24>(source);
        src.Mutate(x => x.Resize(src.Width * 2, src.Height * 2, KnownResamplers.Bicubic));
        using var dst = new Image<Rgb24>(width, height);
        int sw = src.Width, sh = src.Height;
        dst.ProcessPixelRows(src, (d, s) =>
        {
            for (int y = 0; y < height; y++)
            {
                int ty = y / sh, yy = y % sh;
                if (ty % 2 == 1) yy = sh - 1 - yy;
                var row = d.GetRowSpan(y);
                var srow = s.GetRowSpan(yy);
                for (int x = 0; x < width; x++)
                {
                    int tx = x / sw, xx = x % sw;
                    if (tx % 2 == 1) xx = sw - 1 - xx;
                    row[x] = srow[xx];
                }
            }
        });
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        dst.SaveAsPng(path);
    }

    /// <summary>Side of a square image of about <paramref name="megapixels"/> million pixels (1 → 1000).</summary>
    public static int Side(double megapixels) => (int)Math.Round(Math.Sqrt(megapixels * 1e6));

    /// <summary>Runs srtrain (<paramref name="srtrain"/>) with the case's arguments plus <c>--log-level debug</c> and
    /// reads the peak it reports.</summary>
    public static Result Run(string srtrain, Case c, string workDir)
    {
        var start = new ProcessStartInfo(srtrain)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in c.Arguments) start.ArgumentList.Add(a);
        start.ArgumentList.Add("--log-level");
        start.ArgumentList.Add("debug");
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(start) ?? throw new SrTrainException($"{srtrain}: could not start");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var text = stdout + stderr.Result;
        var m = PeakLine().Match(text);
        long? peak = m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 1048576 : null;
        return new Result(c, p.ExitCode, peak, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The line <c>srtrain</c> ends a successful command with at debug level.</summary>
    public const string PeakTemplate = "Peak resident memory {PeakMiB} MiB";

    [GeneratedRegex(@"Peak resident memory (\d+) MiB")]
    private static partial Regex PeakLine();
}
