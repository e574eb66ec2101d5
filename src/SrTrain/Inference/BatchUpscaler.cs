using System.Diagnostics;
using Serilog;
using SixLabors.ImageSharp;
using SrTrain.Runtime;
using static TorchSharp.torch;
using Size = SixLabors.ImageSharp.Size;

namespace SrTrain.Inference;

/// <summary>Runs an <see cref="UpscalePlan"/>: each file is read, upscaled tile by tile and written; a file that fails
/// is reported in one line and the batch goes on.</summary>
public static class BatchUpscaler
{
    /// <summary>Seconds between progress lines for an image with several tiles.</summary>
    const double ProgressEverySeconds = 5;

    /// <param name="generator">(1,3,h,w) → (1,3,h·scale,w·scale), e.g. <see cref="Upscaler.Run"/>.</param>
    public static UpscaleSummary Run(UpscalePlan plan, Func<Tensor, Tensor> generator, int scale, UpscaleOptions options,
        ILogger log, CancellationToken cancel = default)
    {
        foreach (var problem in plan.Problems) log.Error("{Problem}", problem);
        int written = 0, skipped = 0, failed = plan.Problems.Count;
        for (int i = 0; i < plan.Jobs.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var job = plan.Jobs[i];
            if (File.Exists(job.Output) && !options.Overwrite)
            {
                log.Warning("{Output} exists; skipped {Input} (give --overwrite to replace it)", job.Output, job.Input);
                skipped++;
                continue;
            }
            if (job.Note != null) log.Warning("{Note}", job.Note);
            try
            {
                var (inSize, seconds) = UpscaleOne(job, generator, scale, options, log, $"[{i + 1}/{plan.Jobs.Count}]");
                log.Information("[{Index}/{Count}] {Input} {W}x{H} -> {Output} {OutW}x{OutH} in {Seconds:F1} s",
                    i + 1, plan.Jobs.Count, job.Input, inSize.Width, inSize.Height, job.Output,
                    (int)(inSize.Width * (options.OutScale ?? scale)), (int)(inSize.Height * (options.OutScale ?? scale)), seconds);
                written++;
            }
            catch (Exception e) when (e is SrTrainException or IOException or UnauthorizedAccessException
                                          or ImageFormatException or InvalidImageContentException or NotSupportedException
                                          or OutOfMemoryException or System.Runtime.InteropServices.ExternalException)
            {
                // ExternalException is libtorch failing (e.g. an allocation for an image that fits the pixel limit but not
                // this machine): that image fails, the batch goes on.
                log.Error("{Input}: failed, skipped ({Reason})", job.Input, SrTrainException.FirstLine(e));
                failed++;
            }
        }
        log.Information("Upscaled {Written} image(s); {Skipped} skipped (output exists), {Failed} failed", written, skipped, failed);
        return new UpscaleSummary(written, skipped, failed);
    }

    static (Size Size, double Seconds) UpscaleOne(UpscaleJob job, Func<Tensor, Tensor> generator, int scale, UpscaleOptions o,
        ILogger log, string tag)
    {
        var clock = Stopwatch.StartNew();
        var size = Size.Empty;
        int pass = 0, tilesDone = 0, tilesTotal = 0;
        var lastProgress = Stopwatch.StartNew();
        Tensor CountingGenerator(Tensor x)
        {
            var y = generator(x);
            tilesDone++;
            log.Verbose("{Tag} tile {Done}/{Total}", tag, tilesDone, tilesTotal);
            if (tilesTotal > 1 && lastProgress.Elapsed.TotalSeconds >= ProgressEverySeconds)
            {
                log.Information("{Tag} {Input}: tile {Done}/{Total}{Pass}", tag, job.Input, tilesDone, tilesTotal, pass > 1 ? " (alpha)" : "");
                lastProgress.Restart();
            }
            return y;
        }
        var tiled = new TiledUpscaler(CountingGenerator, scale, o.Tile, o.Overlap, log);
        Tensor Upscale(Tensor lq)
        {
            pass++;
            if (pass == 1) size = new Size((int)lq.shape[3], (int)lq.shape[2]);
            tilesDone = 0;
            tilesTotal = TileCount((int)lq.shape[2], o.Tile, o.Overlap) * TileCount((int)lq.shape[3], o.Tile, o.Overlap);
            // Clamped before UpscaleImageIO makes grey or alpha from it, as Real-ESRGAN's post_process clamps before
            // its RGB2GRAY: an overshoot in one channel must not leak into the grey value.
            return tiled.Upscale(lq).clamp_(Scalars.Zero, Scalars.One);
        }

        // Written under a temporary name in the same folder (same extension, so the same format) and moved into place,
        // so a failure or interruption never leaves a half-written file under the output's name.
        var dir = Path.GetDirectoryName(Path.GetFullPath(job.Output))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileNameWithoutExtension(job.Output)}.tmp-{Guid.NewGuid():N}{Path.GetExtension(job.Output)}");
        try
        {
            UpscaleImageIO.UpscaleFile(job.Input, temp, Upscale, o.Alpha, log, o.OutScale);
            File.Move(temp, job.Output, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return (size, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Tiles along one axis, as <see cref="TiledUpscaler"/> cuts them.</summary>
    static int TileCount(int length, int tile, int overlap)
    {
        int input = tile + 2 * overlap;
        if (tile == 0 || length <= input) return 1;
        return (int)Math.Ceiling((length - input) / (double)tile) + 1;
    }

}
