using System.Collections.Concurrent;
using Serilog;
using SrTrain.Runtime;

namespace SrTrain.Data;

/// <summary>Finds the images of a folder (recursively) at start-up by reading headers only, skipping unreadable,
/// oversized and too-small files with one warning each. Pixels are decoded later, on demand.</summary>
internal sealed class ImageCatalog
{
    static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase)
        { ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".tga" };

    readonly ILogger _log;
    readonly ConcurrentQueue<string> _skipped = new();
    readonly int _scale, _minHqSize;
    readonly bool _padSmall;
    readonly long _maxPixels;

    ImageCatalog(ILogger log, int scale, int minHqSize, bool padSmall, long maxPixels)
    {
        _maxPixels = maxPixels;
        _log = log;
        _scale = scale;
        _minHqSize = minHqSize;
        _padSmall = padSmall;
    }

    public IReadOnlyList<ImageEntry> Entries { get; private set; } = Array.Empty<ImageEntry>();
    public int SkippedCount => _skipped.Count;
    public IReadOnlyList<string> SkippedFiles => _skipped.ToArray();

    /// <param name="minHqSize">Smallest usable HQ side (the patch size); 0 for validation, where any size works.</param>
    /// <param name="metaInfo">BasicSR's meta_info: the images to use, listed in a text file instead of found by scanning
    /// the folders (see <see cref="ListMetaInfo"/>). Null or empty: every image under <paramref name="hqDir"/>.</param>
    public static ImageCatalog Scan(string hqDir, string? lqDir, int scale, int minHqSize, bool padSmall, long maxPixels, ILogger log,
        string? metaInfo = null)
    {
        var catalog = new ImageCatalog(log, scale, minHqSize, padSmall, maxPixels);
        var candidates = !string.IsNullOrWhiteSpace(metaInfo) ? catalog.ListMetaInfo(metaInfo, hqDir, lqDir)
            : lqDir == null ? ListImages(hqDir, log).Select(f => (f.Key, Hq: f.Path, Lq: (string?)null)).ToList()
            : MatchFolders(hqDir, lqDir, scale, log);
        var entries = new List<ImageEntry>();
        foreach (var (key, hq, lq) in candidates)
        {
            var hqSize = catalog.IdentifyOrSkip(hq);
            if (hqSize == null) continue;
            if (lq != null)
            {
                var lqSize = catalog.IdentifyOrSkip(lq);
                if (lqSize == null) continue;
                int ew = hqSize.Value.Width / scale, eh = hqSize.Value.Height / scale;
                if (lqSize.Value.Width != ew || lqSize.Value.Height != eh)
                    throw new SrTrainException($"{lq}: LQ is {lqSize.Value.Width}x{lqSize.Value.Height} but its HQ {hq} is " +
                                               $"{hqSize.Value.Width}x{hqSize.Value.Height}, so x{scale} needs {ew}x{eh}");
            }
            if (!catalog.LargeEnough(hq, hqSize.Value)) continue;
            entries.Add(new ImageEntry { Name = key, HqPath = hq, LqPath = lq, Width = hqSize.Value.Width, Height = hqSize.Value.Height });
        }
        if (entries.Count == 0)
            throw new SrTrainException(string.IsNullOrWhiteSpace(metaInfo)
                ? $"{hqDir}: no usable image ({candidates.Count} image file(s) found, {catalog.SkippedCount} skipped); " +
                  "put PNG/JPEG/BMP/TIFF/WebP images there" + (minHqSize > 0 ? $" at least {minHqSize}x{minHqSize} px" : "")
                : $"datasets.train.meta_info: {metaInfo} lists {catalog._listed} image(s) under {hqDir}, none usable ({catalog.SkippedCount} skipped, " +
                  "see the warnings)" + (minHqSize > 0 ? $"; images must be at least {minHqSize}x{minHqSize} px" : ""));
        catalog.Entries = entries;
        return catalog;
    }

    /// <summary>HQ and LQ folders matched by name (relative path without extension, or DIV2K's "0001x4" for "0001").</summary>
    static List<(string Key, string Hq, string? Lq)> MatchFolders(string hqDir, string lqDir, int scale, ILogger log)
    {
        var hqFiles = ListImages(hqDir, log);
        var lqFiles = ListImages(lqDir, log).ToDictionary(f => f.Key, f => f.Path, StringComparer.Ordinal);
        var pairs = new List<(string Key, string Hq, string? Lq)>();
        var unmatchedHq = new List<string>();
        var usedLq = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, path) in hqFiles)
        {
            // DIV2K names its LR files "0001x4.png" for HR "0001.png".
            string? lqKey = lqFiles.ContainsKey(key) ? key : lqFiles.ContainsKey($"{key}x{scale}") ? $"{key}x{scale}" : null;
            if (lqKey == null) { unmatchedHq.Add(Path.GetRelativePath(hqDir, path)); continue; }
            usedLq.Add(lqKey);
            pairs.Add((key, path, lqFiles[lqKey]));
        }
        var unmatchedLq = lqFiles.Where(kv => !usedLq.Contains(kv.Key)).Select(kv => Path.GetRelativePath(lqDir, kv.Value)).ToList();
        if (unmatchedHq.Count > 0)
            throw new SrTrainException($"{lqDir}: no LQ image for {unmatchedHq.Count} HQ image(s) of {hqDir} ({Examples(unmatchedHq)}); " +
                                       $"LQ files must have the HQ file's name (any image extension) or NAME x{scale}");
        if (unmatchedLq.Count > 0)
            throw new SrTrainException($"{hqDir}: no HQ image for {unmatchedLq.Count} LQ image(s) of {lqDir} ({Examples(unmatchedLq)}); " +
                                       "remove them or add their HQ counterparts");
        return pairs;
    }

    /// <summary>The images a meta_info file lists, in its order, as BasicSR's datasets read it: a GT-only list
    /// (RealESRGANDataset, "path [anything]": the first word, relative to <paramref name="hqDir"/>); a paired list
    /// (RealESRGANPairedDataset, "gt_path, lq_path": relative to <paramref name="hqDir"/> and <paramref name="lqDir"/>);
    /// or, with <paramref name="lqDir"/> and one path per line (PairedImageDataset's meta_info_file), the same relative
    /// path in both folders. A listed file that does not exist is skipped with a warning, as an unreadable one is.</summary>
    List<(string Key, string Hq, string? Lq)> ListMetaInfo(string metaInfo, string hqDir, string? lqDir)
    {
        if (!File.Exists(metaInfo))
            throw new SrTrainException($"datasets.train.meta_info: {metaInfo} not found (a text file listing the training images, one per line)");
        if (!Directory.Exists(hqDir)) throw new SrTrainException($"{hqDir}: folder not found");
        if (lqDir != null && !Directory.Exists(lqDir)) throw new SrTrainException($"{lqDir}: folder not found");
        RegularFile.Require(metaInfo);
        var list = new List<(string Key, string Hq, string? Lq)>();
        int lineNo = 0;
        foreach (var raw in SharedRead.ReadLines(metaInfo))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            string gt, lq;
            int pair = lqDir == null ? -1 : line.IndexOf(", ", StringComparison.Ordinal);
            if (pair >= 0)
            {
                gt = line[..pair].Trim();
                lq = line[(pair + 2)..].Trim();
                if (gt.Length == 0 || lq.Length == 0)
                    throw new SrTrainException($"datasets.train.meta_info: {metaInfo} line {lineNo}: '{Truncate(line)}' is not 'gt_path, lq_path'");
            }
            else
            {
                // "path (h,w,c)" as Real-ESRGAN's generate_meta_info.py writes it, or a pair's GT without LQ folder.
                gt = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries)[0].TrimEnd(',');
                lq = gt;
            }
            _listed++;
            var hq = Path.Combine(hqDir, gt);
            var lqPath = lqDir == null ? null : Path.Combine(lqDir, lq);
            var missing = !File.Exists(hq) ? hq : lqPath != null && !File.Exists(lqPath) ? lqPath : null;
            if (missing != null)
            {
                Skip(missing, $"listed in {metaInfo} (line {lineNo}) but not found");
                continue;
            }
            var key = gt.Replace('\\', '/');
            var ext = Path.GetExtension(key);
            list.Add((ext.Length > 0 ? key[..^ext.Length] : key, hq, lqPath));
        }
        if (list.Count == 0 && SkippedCount == 0)
            throw new SrTrainException($"datasets.train.meta_info: {metaInfo} lists no image (it is empty)");
        return list;
    }

    int _listed;

    static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";

    static string Examples(List<string> names) => string.Join(", ", names.Take(5)) + (names.Count > 5 ? ", …" : "");

    /// <summary>Image files under a folder, sorted by relative path so the index of an image never depends on the
    /// file system's listing order; key = relative path without extension, '/'-separated. Links to folders are
    /// followed once: a folder reached again (a link loop, or two links to one folder) is skipped with a warning, so
    /// no photo is counted twice.</summary>
    static List<(string Key, string Path)> ListImages(string dir, ILogger log)
    {
        if (!Directory.Exists(dir)) throw new SrTrainException($"{dir}: folder not found");
        var files = new List<string>();
        var seen = new HashSet<string>(RealPath.Comparer);
        var pending = new Stack<(string Path, string Real)>();
        pending.Push((dir, RealPath.Of(dir)));
        while (pending.Count > 0)
        {
            var (folder, real) = pending.Pop();
            if (!seen.Add(real))
            {
                log.Warning("Skipping {Folder}: it leads to {Real}, which is already scanned (a link loop or a second link); its images count once",
                    folder, real);
                continue;
            }
            files.AddRange(Directory.EnumerateFiles(folder).Where(p => Extensions.Contains(Path.GetExtension(p))));
            foreach (var sub in Directory.EnumerateDirectories(folder))
                pending.Push((sub, RealPath.Of(sub)));
        }
        return files
            .Select(p =>
            {
                var rel = Path.GetRelativePath(dir, p).Replace('\\', '/');
                var ext = Path.GetExtension(rel);
                return (Key: rel[..^ext.Length], Path: p);
            })
            .OrderBy(f => f.Key, StringComparer.Ordinal)
            .ThenBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
    }

    (int Width, int Height)? IdentifyOrSkip(string path)
    {
        (int Width, int Height)? size;
        try
        {
            size = ImageFile.Identify(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Skip(path, $"unreadable ({SrTrainException.FirstLine(e)})");
            return null;
        }
        if (size == null) { Skip(path, "not an image ImageSharp can read"); return null; }
        if (ImageFile.HasExtraFrames(path)) _log.Warning("{File} is an animated GIF; only its first frame is used", path);
        if (ImageFile.TruncationReason(path) is string truncated) { Skip(path, truncated); return null; }
        if ((long)size.Value.Width * size.Value.Height > _maxPixels)
        {
            Skip(path, $"{size.Value.Width}x{size.Value.Height} is above the limit of {_maxPixels} pixels");
            return null;
        }
        return size;
    }

    bool LargeEnough(string path, (int Width, int Height) size)
    {
        int h = size.Height / _scale * _scale, w = size.Width / _scale * _scale;
        if (h == 0 || w == 0) { Skip(path, $"{size.Width}x{size.Height} is smaller than the scale {_scale}"); return false; }
        if (_padSmall || (h >= _minHqSize && w >= _minHqSize)) return true;
        Skip(path, $"{size.Width}x{size.Height} is smaller than the {_minHqSize}x{_minHqSize} patch (set pad_small to pad it)");
        return false;
    }

    void Skip(string path, string reason)
    {
        _log.Warning("Skipping {File}: {Reason}", path, reason);
        _skipped.Enqueue(path);
    }

    /// <summary>Marks an entry whose pixels failed to decode; warns only the first time.</summary>
    public void MarkBad(ImageEntry entry, string path, Exception e)
    {
        if (Interlocked.Exchange(ref entry.Bad, 1) == 0) Skip(path, $"cannot be decoded ({SrTrainException.FirstLine(e)})");
    }

    /// <summary>Decodes an entry at its file's bit depth (never as a whole float image). Throws on unreadable pixels
    /// (the caller marks the entry bad).</summary>
    public LoadedImage Load(ImageEntry entry, int padTo)
    {
        var hq = PixelImage.Load(entry.HqPath, maxPixels: _maxPixels);
        PixelImage? lq = null;
        try
        {
            hq = hq.CropToMultiple(_scale);
            if (entry.LqPath != null)
            {
                lq = PixelImage.Load(entry.LqPath, maxPixels: _maxPixels);
                if (lq.Height != hq.Height / _scale || lq.Width != hq.Width / _scale)
                    throw new InvalidDataException($"decoded LQ {lq.Width}x{lq.Height} does not match HQ {hq.Width}x{hq.Height} at x{_scale}");
            }
            if (padTo > 0 && (hq.Height < padTo || hq.Width < padTo))
            {
                hq = hq.ReflectPadTo(padTo, padTo);
                lq = lq?.ReflectPadTo(padTo / _scale, padTo / _scale);
            }
            return new LoadedImage(hq, lq);
        }
        catch
        {
            hq.Dispose();
            lq?.Dispose();
            throw;
        }
    }
}

/// <summary>One usable training or validation image (or HQ/LQ pair), known from its header only.</summary>
internal sealed class ImageEntry
{
    public required string Name { get; init; }
    public required string HqPath { get; init; }
    public string? LqPath { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    internal int Bad;
}

/// <summary>The decoded pixels of an entry, at the file's bit depth: HQ cropped to a multiple of the scale (and padded
/// if asked), and the paired LQ if there is one. Dispose when no patch is cut from it any more.</summary>
internal sealed record LoadedImage(PixelImage Hq, PixelImage? Lq) : IDisposable
{
    public void Dispose()
    {
        Hq.Dispose();
        Lq?.Dispose();
    }
}
