using Serilog;
using Serilog.Core;
using TorchSharp;

namespace SrTrain.Data;

public static class ValidationSet
{
    /// <summary>Loads every image of <paramref name="hqDir"/> (recursively, sorted by relative path). HQ is cropped to
    /// a multiple of <paramref name="scale"/> (top-left kept); LQ comes from <paramref name="lqDir"/> (matched by name,
    /// as in training) or, without it, by MATLAB bicubic downscaling rounded to 8 bits, as BasicSR's benchmark LR
    /// images are made. Unreadable files are skipped with a warning; none usable → SrTrainException. The tensors are
    /// made outside any dispose scope: dispose the pairs when done.</summary>
    public static IReadOnlyList<ValidationPair> LoadValidationSet(string hqDir, string? lqDir, int scale,
        long? maxImagePixels = null, ILogger? log = null)
    {
        if (scale < 1) throw new SrTrainException($"scale {scale}: must be at least 1");
        var logger = log ?? Logger.None;
        var catalog = ImageCatalog.Scan(hqDir, lqDir, scale, 0, false, maxImagePixels ?? Config.InputLimits.MaxImagePixels, logger);
        var pairs = new List<ValidationPair>();
        using (torch.NewDisposeScope())
        {
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
                var lq = image.Lq;
                if (lq == null)
                {
                    lq = MatlabResize.Resize(image.Hq, 1.0 / scale);
                    lq.QuantizeTo8Bit();
                }
                pairs.Add(new ValidationPair(entry.Name,
                    lq.ToTensor().unsqueeze(0).MoveToOuterDisposeScope(),
                    image.Hq.ToTensor().unsqueeze(0).MoveToOuterDisposeScope()));
            }
        }
        if (pairs.Count == 0)
            throw new SrTrainException($"{hqDir}: no usable validation image ({catalog.SkippedCount} file(s) skipped)");
        return pairs;
    }
}
