using System.Diagnostics;
using Serilog;
using SixLabors.ImageSharp;
using SrTrain.Data;
using static TorchSharp.torch;
using Size = SixLabors.ImageSharp.Size;

namespace SrTrain.Inference;

/// <summary>Runs an <see cref="UpscalePlan"/>: each file is read, upscaled tile by tile and written; a file that fails
/// is reported in one line and the batch goes on.</summary>
internal static class BatchUpscaler
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
        var layout = UpscaleImageIO.Identify(job.Input);
        var (w, h) = ImageFile.Identify(job.Input) ?? throw new SrTrainException($"{job.Input}: not a readable image (unknown format)");
        var size = new Size(w, h);
        int tile = o.TileFor(w, h);
        if (tile != o.Tile)
            log.Information("{Tag} {Input} has {Megapixels:F2} MP, more than the {Limit:F2} MP that --tile 0 runs whole; tiling at {Tile} " +
                            "to bound memory (give --tile N to choose)", tag, job.Input, (double)w * h / 1e6, UpscaleOptions.WholeImageMaxPixels / 1e6, tile);
        int tilesDone = 0, tilesTotal = 0;
        var lastProgress = Stopwatch.StartNew();
        Tensor CountingGenerator(Tensor x)
        {
            var y = generator(x);
            tilesDone++;
            log.Verbose("{Tag} tile {Done}/{Total}", tag, tilesDone, tilesTotal);
            if (tilesTotal > 1 && lastProgress.Elapsed.TotalSeconds >= ProgressEverySeconds)
            {
                log.Information("{Tag} {Input}: tile {Done}/{Total}", tag, job.Input, tilesDone, tilesTotal);
                lastProgress.Restart();
            }
            return y;
        }
        var tiled = new TiledUpscaler(CountingGenerator, scale, tile, o.Overlap, log);
        // The generator's tiles: the colour's, and the alpha's again when the generator upscales transparency.
        bool alphaByGenerator = o.Alpha == AlphaUpscale.Generator && layout.HasAlpha;
        tilesTotal = tiled.TileCount(h, w) * (alphaByGenerator ? 2 : 1);

        // Written under a temporary name in the same folder (same extension, so the same format) and moved into place,
        // so a failure or interruption never leaves a half-written file under the output's name.
        var dir = Path.GetDirectoryName(Path.GetFullPath(job.Output))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileNameWithoutExtension(job.Output)}.tmp-{Guid.NewGuid():N}{Path.GetExtension(job.Output)}");
        try
        {
            UpscaleImageIO.UpscaleFile(job.Input, temp, tiled, o.Alpha, log, o.OutScale);
            File.Move(temp, job.Output, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return (size, clock.Elapsed.TotalSeconds);
    }
}

/// <summary>How a batch went. <paramref name="Failed"/> includes arguments that named no image.</summary>
internal sealed record UpscaleSummary(int Written, int Skipped, int Failed)
{
    /// <summary>Nothing failed: every input was written, or skipped because its output already exists (an incremental
    /// batch run again).</summary>
    public bool NothingFailed => Failed == 0;
}
