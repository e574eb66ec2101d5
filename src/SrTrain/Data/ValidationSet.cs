using Serilog;
using Serilog.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Data;

internal static class ValidationSet
{
    /// <summary>Loads every image of <paramref name="hqDir"/> (recursively, sorted by relative path). HQ is cropped to
    /// a multiple of <paramref name="scale"/> (top-left kept); LQ comes from <paramref name="lqDir"/> (matched by name,
    /// as in training) or, without it, by MATLAB bicubic downscaling rounded to 8 bits, as BasicSR's benchmark LR
    /// images are made. Unreadable files are skipped with a warning; none usable → SrTrainException. The tensors are
    /// made outside any dispose scope: dispose the pairs when done.</summary>
    public static IReadOnlyList<ValidationPair> LoadValidationSet(string hqDir, string? lqDir, int scale,
        long? maxImagePixels = null, ILogger? log = null)
    {
        var pairs = new List<ValidationPair>();
        // Stream's LQ lands in this scope; both tensors then move out to the caller.
        using (torch.NewDisposeScope())
        {
            foreach (var image in Stream(hqDir, lqDir, scale, maxImagePixels, log))
                using (image.Hq)
                    pairs.Add(new ValidationPair(image.Name, image.Lq.MoveToOuterDisposeScope(),
                        image.Hq.ReadTile(0, 0, image.Hq.Height, image.Hq.Width).MoveToOuterDisposeScope()));
        }
        return pairs;
    }

    /// <summary>The images of <see cref="LoadValidationSet"/> one at a time, HQ kept at its file's bit depth (cropped to
    /// a multiple of the scale) and LQ as a (1,3,h,w) float tensor, so that a folder of large photos costs one photo's
    /// 8-bit pixels at a time. The caller disposes each image; none usable → SrTrainException after the last.</summary>
    internal static IEnumerable<ValidationImage> Stream(string hqDir, string? lqDir, int scale, long? maxImagePixels = null, ILogger? log = null)
    {
        if (scale < 1) throw new SrTrainException($"scale {scale}: must be at least 1");
        var logger = log ?? Logger.None;
        var catalog = ImageCatalog.Scan(hqDir, lqDir, scale, 0, false, maxImagePixels ?? Config.InputLimits.MaxImagePixels, logger);
        int count = 0;
        foreach (var entry in catalog.Entries)
        {
            LoadedImage image;
            try
            {
                image = catalog.Load(entry, 0);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                catalog.MarkBad(entry, entry.HqPath, e);
                continue;
            }
            Tensor lq;
            using (var scope = torch.NewDisposeScope())
            {
                if (image.Lq is { } file) lq = file.ReadTile(0, 0, file.Height, file.Width);
                else
                {
                    // Band by band from the 8-bit HQ: only the LQ (1/scale² of the HQ's pixels) is ever whole as float.
                    var made = MatlabResize.Resize(image.Hq, 1.0 / scale);
                    made.QuantizeTo8Bit();
                    lq = made.ToTensor().unsqueeze(0);
                }
                lq = lq.MoveToOuterDisposeScope();
            }
            image.Lq?.Dispose();
            count++;
            yield return new ValidationImage(entry.Name, lq, image.Hq);
        }
        if (count == 0)
            throw new SrTrainException($"{hqDir}: no usable validation image ({catalog.SkippedCount} file(s) skipped)");
    }
}

/// <summary>An image of <see cref="ValidationSet.Stream"/>: LQ (1,3,h,w) float, HQ (scale·h)×(scale·w) at its file's bit depth.</summary>
internal sealed record ValidationImage(string Name, Tensor Lq, PixelImage Hq) : IDisposable
{
    public void Dispose()
    {
        Lq.Dispose();
        Hq.Dispose();
    }
}
