using SrTrain.Runtime;
using System.Collections.Concurrent;
using Serilog;
using Serilog.Core;
using SrTrain.Config;
using SrTrain.Degradation;
using SrTrain.Translational;

namespace SrTrain.Data;

/// <summary>The training data: scans the folders at construction (headers only), then makes the batch of any step
/// on demand. Every random choice of step N (images, crops, flips, corners, degradations) comes from streams seeded
/// by (Seed, N, sample index), so <see cref="GetBatch"/> gives the same data whichever thread computes it and in
/// whatever order: a run resumed at step N sees what an uninterrupted run would. Thread-safe.</summary>
internal sealed class DataPipeline
{
    readonly ImageCatalog _catalog;
    readonly ConcurrentDictionary<ImageEntry, Lazy<LoadedImage>>? _cache;
    readonly CornerCrop[]? _corners;
    readonly OffsetViews? _offsetViews;
    readonly RealEsrganPatches? _realEsrgan;
    readonly TrainingPairPool? _pool;

    public DataPipeline(DataPipelineOptions options, ILogger? log = null)
    {
        options.Validate();
        Options = options;
        var logger = log ?? Logger.None;
        // Real-ESRGAN pads every image smaller than crop_pad_size, so no image is too small.
        _catalog = ImageCatalog.Scan(options.HqDir, options.LqDir, options.Scale, options.FullPatchSize,
            options.PadSmall || options.RealEsrganEnabled, options.MaxImagePixels, logger, options.MetaInfo);
        if (options.RealEsrganEnabled)
        {
            var r = options.RealEsrgan!;
            _realEsrgan = new RealEsrganPatches(r, options.Scale, options.Seed, options.UseHFlip, options.UseRot);
            if (r.QueueSize > 0) _pool = new TrainingPairPool(options.Seed, r.QueueSize, options.BatchSize);
        }
        if (options.CacheImages) _cache = new ConcurrentDictionary<ImageEntry, Lazy<LoadedImage>>();
        if (options.TranslationalShift > 0 && options.TranslationalViews == TranslationalViews.Corners)
            _corners = TranslationalCrops.ComputeAll(options.FullPatchSize, options.Scale, options.TranslationalShift);
        else if (options.TranslationalShift > 0)
            _offsetViews = new OffsetViews(options.TranslationalViews, options.FullPatchSize, options.Scale, options.TranslationalShift);
        logger.Information("Training data: {Count} image(s) from {HqDir}{Paired}, {Skipped} skipped; patch {FullPatchSize} at x{Scale}",
            _catalog.Entries.Count, options.HqDir,
            options.RealEsrganEnabled ? $" (LQ by Real-ESRGAN's high-order degradation of {options.RealEsrgan!.CropPadSize} px crops, pool of {options.RealEsrgan.QueueSize})"
            : options.LqDir == null ? $" (LQ by bicubic downscaling{options.Degradations.Describe()})" : $" paired with {options.LqDir}{options.Degradations.Describe()}",
            _catalog.SkippedCount, options.FullPatchSize, options.Scale);
    }

    public DataPipelineOptions Options { get; }

    /// <summary>Images found usable at start-up (some may still fail to decode later and be skipped).</summary>
    public int ImageCount => _catalog.Entries.Count;

    /// <summary>Files skipped so far (at the scan or when their pixels failed to decode), one warning each.</summary>
    public int SkippedFileCount => _catalog.SkippedCount;

    public IReadOnlyList<string> SkippedFiles => _catalog.SkippedFiles;

    /// <summary>The batch of <paramref name="step"/>, computed on the calling thread.</summary>
    public TrainingBatch GetBatch(long step) => ComputeBatch(step).ToBatch();

    /// <summary>Batches from <paramref name="startStep"/> on, in step order, made ahead by background workers.</summary>
    public TrainingDataStream Stream(long startStep = 0) => new(this, startStep);

    internal BatchData ComputeBatch(long step) => _realEsrgan != null ? ComputeRealEsrganBatch(step) : ComputePlainBatch(step);

    BatchData ComputePlainBatch(long step)
    {
        var o = Options;
        // This process's share of the global batch; each sample's randomness comes from its global index.
        var (first, b) = o.Shard.Range(o.BatchSize);
        // One corner pair for the whole batch, from its own stream: the samples' draws do not depend on it.
        (CornerCrop Main, CornerCrop Second)? pair = _corners == null ? null : TranslationalCrops.PickPair(_corners, o.Seed, step);
        var lq = new RgbImage[b];
        var hq = new RgbImage[b];
        var lq2 = new RgbImage[pair == null && _offsetViews == null ? 0 : b];
        var regions = _offsetViews == null ? null : new (Region Main, Region Second)[b];
        var infos = new SampleInfo[b];
        for (int i = 0; i < b; i++)
        {
            var rng = SampleRandom.For(o.Seed, step, first + i);
            var (fullLq, fullHq, info) = MakeSample(rng);
            infos[i] = info;
            if (_offsetViews != null)
            {
                // Free and sub-pixel views: per-sample offsets, drawn after the sample's other draws.
                (lq[i], hq[i], lq2[i], regions![i].Main, regions[i].Second) =
                    _offsetViews.Cut(fullLq, fullHq, rng, (image, r) => Degradations.Apply(image, o.Degradations, r));
                continue;
            }
            if (pair is not var (main, second)) { lq[i] = fullLq; hq[i] = fullHq; continue; }
            lq[i] = fullLq.Crop(main.LqTop, main.LqLeft, main.LqSize, main.LqSize);
            hq[i] = fullHq.Crop(main.HqTop, main.HqLeft, main.HqSize, main.HqSize);
            lq2[i] = fullLq.Crop(second.LqTop, second.LqLeft, second.LqSize, second.LqSize);
        }
        return Assemble(step, lq, hq, infos, pair, lq2, regions);
    }

    /// <summary>A batch with Real-ESRGAN's degradation. Each output sample is a pool origin (its own (step, index)
    /// without a pool or while the pool fills); the origin's stream picks the image and draws the sample's
    /// degradation, the crop_pad_size crop is degraded with the origin step's batch draws, and the full patch is cut
    /// at the batch's LQ crop. Translational views: corner and free views are cut from the degraded full patch (both
    /// views went through the same draws); sub-pixel views are each degraded from their own HQ crop, shifted by the
    /// view's HQ offset, with the same draws (noise seeds included).</summary>
    BatchData ComputeRealEsrganBatch(long step)
    {
        var o = Options;
        var re = _realEsrgan!;
        int s = o.Scale, full = o.FullPatchSize;
        var (first, b) = o.Shard.Range(o.BatchSize);
        var pooled = _pool?.Batch(step);
        var origins = new PairOrigin[b];
        for (int i = 0; i < b; i++) origins[i] = pooled?[first + i] ?? new PairOrigin(step, first + i);
        (CornerCrop Main, CornerCrop Second)? pair = _corners == null ? null : TranslationalCrops.PickPair(_corners, o.Seed, step);
        var crops = new RgbImage[b];
        var draws = new SampleDraws[b];
        var names = new string[b];
        var offsets = _offsetViews == null ? null : new ((int Top, int Left) Main, (int Top, int Left) Second)[b];
        // Each origin step's batch draws (its own stream): a sample's noise types are its step's choice.
        var batchDraws = origins.Select(x => x.Step).Distinct().ToDictionary(x => x, x => re.DrawBatch(x, full));
        for (int i = 0; i < b; i++)
        {
            var rng = SampleRandom.For(o.Seed, origins[i].Step, origins[i].Index);
            (crops[i], draws[i], names[i]) = CutRealEsrganCrop(rng, batchDraws[origins[i].Step]);
            // Free and sub-pixel offsets: drawn after the sample's other draws, as in the plain mode.
            if (offsets != null) offsets[i] = _offsetViews!.Draw(rng);
        }
        var lq = new RgbImage[b];
        var hq = new RgbImage[b];
        var lq2 = new RgbImage[pair == null && _offsetViews == null ? 0 : b];
        var regions = _offsetViews == null ? null : new (Region Main, Region Second)[b];
        var infos = new SampleInfo[b];
        bool subPixel = offsets != null && o.TranslationalViews == TranslationalViews.SubPixel;
        // Samples of one origin step share its batch draws and are degraded together.
        foreach (var group in Enumerable.Range(0, b).GroupBy(i => origins[i].Step))
        {
            var idx = group.ToArray();
            var batch = batchDraws[group.Key];
            var groupDraws = idx.Select(i => draws[i]).ToArray();
            if (subPixel)
            {
                int view = TranslationalCrops.CropSize(full, s, o.TranslationalShift), input = re.CropPadSize - s * o.TranslationalShift;
                RgbImage[] Inputs(Func<int, (int Top, int Left)> at) => idx.Select(i => crops[i].Crop(at(i).Top, at(i).Left, input, input)).ToArray();
                var (gt1, lqs1) = re.Degrade(Inputs(i => offsets![i].Main), batch, groupDraws, view);
                var (_, lqs2) = re.Degrade(Inputs(i => offsets![i].Second), batch, groupDraws, view);
                for (int k = 0; k < idx.Length; k++)
                {
                    int i = idx[k];
                    (hq[i], lq[i], lq2[i]) = (gt1[k], lqs1[k], lqs2[k]);
                    regions![i] = (_offsetViews!.SharedIn(offsets![i].Main), _offsetViews.SharedIn(offsets[i].Second));
                }
            }
            else
            {
                var (gts, lqs) = re.Degrade(idx.Select(i => crops[i]).ToArray(), batch, groupDraws, full);
                for (int k = 0; k < idx.Length; k++)
                {
                    int i = idx[k];
                    if (offsets != null)
                        (lq[i], hq[i], lq2[i], regions![i].Main, regions[i].Second) = _offsetViews!.CutAt(lqs[k], gts[k], offsets[i].Main, offsets[i].Second);
                    else if (pair is var (main, second))
                    {
                        lq[i] = lqs[k].Crop(main.LqTop, main.LqLeft, main.LqSize, main.LqSize);
                        hq[i] = gts[k].Crop(main.HqTop, main.HqLeft, main.HqSize, main.HqSize);
                        lq2[i] = lqs[k].Crop(second.LqTop, second.LqLeft, second.LqSize, second.LqSize);
                    }
                    else (lq[i], hq[i]) = (lqs[k], gts[k]);
                }
            }
            foreach (int i in idx)
            {
                var d = draws[i];
                infos[i] = new SampleInfo(names[i], d.CropTop + batch.LqCropTop * s, d.CropLeft + batch.LqCropLeft * s, d.HFlip, d.VFlip, d.Rot90)
                {
                    Draws = d,
                    BatchDraws = batch,
                    Origin = origins[i],
                };
            }
        }
        return Assemble(step, lq, hq, infos, pair, lq2, regions);
    }

    /// <summary>A step's batch from its cut samples: the second views as one corner pair for the batch, or per-sample
    /// regions (free and sub-pixel views), or none.</summary>
    static BatchData Assemble(long step, RgbImage[] lq, RgbImage[] hq, SampleInfo[] infos, (CornerCrop Main, CornerCrop Second)? pair,
        RgbImage[] lq2, (Region Main, Region Second)[]? regions) => new()
    {
        Step = step,
        Lq = lq,
        Hq = hq,
        Samples = infos,
        Second = pair is var (m, s) ? (lq2, m, s) : null,
        SampleViews = regions == null ? null : (lq2, regions.Select(r => r.Main).ToArray(), regions.Select(r => r.Second).ToArray()),
    };

    /// <summary>Picks the image of a Real-ESRGAN sample, draws its degradation and cuts its crop_pad_size crop.</summary>
    (RgbImage Crop, SampleDraws Draws, string Image) CutRealEsrganCrop(SampleRandom rng, BatchDraws batch)
    {
        var (entry, image) = PickImage(rng);
        try
        {
            var draws = _realEsrgan!.DrawSample(rng, image.Hq.Height, image.Hq.Width, batch);
            return (_realEsrgan.Cut(image.Hq, draws), draws, entry.Name);
        }
        finally
        {
            if (_cache == null) image.Dispose();
        }
    }

    /// <summary>One full patch: LQ (FullPatchSize/Scale) and HQ (FullPatchSize), degraded and augmented.</summary>
    (RgbImage Lq, RgbImage Hq, SampleInfo Info) MakeSample(SampleRandom rng)
    {
        var o = Options;
        var (entry, image) = PickImage(rng);
        try
        {
            return CutSample(rng, entry, image);
        }
        finally
        {
            // Uncached images are decoded for this one patch; their pixels go back at once, not when the GC runs.
            if (_cache == null) image.Dispose();
        }
    }

    (RgbImage Lq, RgbImage Hq, SampleInfo Info) CutSample(SampleRandom rng, ImageEntry entry, LoadedImage image)
    {
        var o = Options;
        int s = o.Scale, full = o.FullPatchSize, lqGt = full / s;
        // Pick the LQ position and multiply, so the HQ patch sits exactly over the LQ patch.
        int lqTop = rng.NextInt(image.Hq.Height / s - lqGt + 1);
        int lqLeft = rng.NextInt(image.Hq.Width / s - lqGt + 1);
        var hq = image.Hq.Crop(lqTop * s, lqLeft * s, full, full);
        RgbImage lq;
        if (image.Lq != null)
            lq = image.Lq.Crop(lqTop, lqLeft, lqGt, lqGt);
        else
        {
            // The window of the downscaled WHOLE image (not a downscale of the patch), so patch borders get the same
            // pixels as a pre-made LR data set; rounded to 8 bits as that data set's PNGs would be.
            lq = MatlabResize.ResizeWindow(image.Hq, 1.0 / s, lqTop, lqLeft, lqGt, lqGt);
            lq.QuantizeTo8Bit();
        }
        Degradations.Apply(lq, o.Degradations, rng.Fork());
        bool hflip = rng.NextDouble() < 0.5 && o.UseHFlip;
        bool vflip = rng.NextDouble() < 0.5 && o.UseRot;
        bool transpose = rng.NextDouble() < 0.5 && o.UseRot;
        return (lq.Augment(hflip, vflip, transpose), hq.Augment(hflip, vflip, transpose),
            new SampleInfo(entry.Name, lqTop * s, lqLeft * s, hflip, vflip, transpose));
    }

    /// <summary>Draws images until one decodes. A file that fails is marked bad for good; since badness is a
    /// property of the file, the draws stay a pure function of (seed, step, sample).</summary>
    (ImageEntry, LoadedImage) PickImage(SampleRandom rng)
    {
        var entries = _catalog.Entries;
        while (true)
        {
            var entry = entries[rng.NextInt(entries.Count)];
            if (Volatile.Read(ref entry.Bad) != 0)
            {
                if (entries.All(e => Volatile.Read(ref e.Bad) != 0))
                    throw new SrTrainException($"{Options.HqDir}: no usable image left, all {entries.Count} failed to decode");
                continue;
            }
            try
            {
                return (entry, Load(entry));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _catalog.MarkBad(entry, entry.LqPath != null && e.Message.Contains(entry.LqPath) ? entry.LqPath : entry.HqPath, e);
            }
        }
    }

    LoadedImage Load(ImageEntry entry)
    {
        // Real-ESRGAN pads after the augmentation, as RealESRGANDataset does (see RealEsrganPatches.Cut).
        int padTo = Options.PadSmall && _realEsrgan == null ? Options.FullPatchSize : 0;
        if (_cache == null) return _catalog.Load(entry, padTo);
        return _cache.GetOrAdd(entry, e => new Lazy<LoadedImage>(() => _catalog.Load(e, padTo))).Value;
    }
}
