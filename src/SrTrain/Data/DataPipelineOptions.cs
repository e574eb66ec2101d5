using SrTrain.Config;
using SrTrain.Translational;

namespace SrTrain.Data;

/// <summary>Everything the training data pipeline needs, as plain values (the config layer maps its YAML onto this).
/// Its defaults are the config's (<see cref="TrainDataConfig"/>), so a default changed there holds here too.</summary>
internal sealed record DataPipelineOptions
{
    internal static readonly SrTrainConfig ConfigDefaults = new();
    static TrainDataConfig TrainDefaults => ConfigDefaults.Datasets.Train;

    /// <summary>Folder of HQ (ground-truth) images, searched recursively.</summary>
    public required string HqDir { get; init; }

    /// <summary>Folder of matching LQ images (paired mode; matched to HQ by relative path without extension, or
    /// DIV2K's "0001x4" naming). Null: LQ is made on the fly by MATLAB bicubic downscaling.</summary>
    public string? LqDir { get; init; }

    /// <summary>BasicSR's meta_info: a text file listing the images (see ImageCatalog.ListMetaInfo); null = every
    /// image under the folders.</summary>
    public string? MetaInfo { get; init; }

    /// <summary>Upscaling factor: HQ side = Scale × LQ side.</summary>
    public int Scale { get; init; } = ConfigDefaults.Scale;

    /// <summary>HQ side of the patches the batches hand out (gt_size: what the losses and the discriminator see); a
    /// multiple of Scale. With the translational term the images are cut into larger patches, see <see cref="FullPatchSize"/>.</summary>
    public int GtSize { get; init; } = TrainDefaults.GtSize;

    /// <summary>HQ side of the patch cut from each image: GtSize, or GtSize + Scale·shift while the translational term
    /// cuts its corners from it (see <see cref="TranslationalCrops"/>).</summary>
    public int FullPatchSize => TranslationalShift > 0 ? TranslationalCrops.FullPatchSize(GtSize, Scale, TranslationalShift) : GtSize;

    /// <summary>Random horizontal flip (p 0.5).</summary>
    public bool UseHFlip { get; init; } = TrainDefaults.UseHflip;

    /// <summary>Random vertical flip and transpose ("rot90" in BasicSR), each p 0.5.</summary>
    public bool UseRot { get; init; } = TrainDefaults.UseRot;

    /// <summary>Seed: with the step number and sample index it fixes every random choice of a batch.</summary>
    public long Seed { get; init; }

    /// <summary>Patches per batch.</summary>
    public int BatchSize { get; init; } = TrainDefaults.BatchSize;

    /// <summary>Background threads making batches.</summary>
    public int NumWorkers { get; init; } = Math.Max(1, TrainDefaults.NumWorkers);

    /// <summary>Batches made ahead of the training loop (prefetch depth).</summary>
    public int QueueCapacity { get; init; } = TrainDefaults.PrefetchBatches;

    /// <summary>Keep decoded images in memory (for small data sets: a 2 MP image takes 24 MB as float).</summary>
    public bool CacheImages { get; init; }

    /// <summary>Images with more pixels than this are refused before decoding (decompression-bomb guard).</summary>
    public long MaxImagePixels { get; init; } = InputLimits.MaxImagePixels;

    /// <summary>Images smaller than FullPatchSize are reflect-padded (bottom/right) instead of skipped.</summary>
    public bool PadSmall { get; init; }

    /// <summary>Extra LQ degradations after the bicubic downscale (off by default).</summary>
    public DegradationOptions Degradations { get; init; } = new();

    /// <summary>Translational term shift k in LQ pixels; 0 turns the term off. With k > 0 each batch also carries a
    /// second corner crop (see <see cref="TranslationalCrops"/>).</summary>
    public int TranslationalShift { get; init; }

    /// <summary>Which two views the second crop is (with TranslationalShift > 0): corners by default, or free or
    /// sub-pixel offsets per sample (see <see cref="OffsetViews"/>).</summary>
    public TranslationalViews TranslationalViews { get; init; } = TranslationalViews.Corners;

    /// <summary>Real-ESRGAN's high-order degradation (datasets.train.realesrgan); null or not enabled: off. On, each
    /// sample is a crop_pad_size crop of an image, degraded with its own and its step's draws, and the gt_size patch
    /// (the full patch with the translational term) is cut from it; <see cref="Degradations"/> and an LQ folder do not
    /// apply.</summary>
    public RealEsrganDegradationConfig? RealEsrgan { get; init; }

    /// <summary>True when <see cref="RealEsrgan"/> is set and enabled.</summary>
    public bool RealEsrganEnabled => RealEsrgan is { Enabled: true };

    /// <summary>The part of each global batch this process makes (data-parallel training); the whole batch by default.</summary>
    public BatchShard Shard { get; init; } = BatchShard.Whole;

    /// <summary>The options of config <paramref name="c"/>'s training data (translational term off: the training data
    /// switches it on from its start step). The one place the config's fields are mapped onto the pipeline's.</summary>
    public static DataPipelineOptions From(SrTrainConfig c, BatchShard? shard = null)
    {
        var d = c.Datasets.Train;
        if (string.IsNullOrWhiteSpace(d.DatarootGt))
            throw new SrTrainException("datasets.train.dataroot_gt: name the folder of training images");
        return new DataPipelineOptions
        {
            HqDir = d.DatarootGt,
            LqDir = string.IsNullOrWhiteSpace(d.DatarootLq) ? null : d.DatarootLq,
            MetaInfo = string.IsNullOrWhiteSpace(d.MetaInfo) ? null : d.MetaInfo,
            Scale = c.Scale,
            GtSize = d.GtSize,
            UseHFlip = d.UseHflip,
            UseRot = d.UseRot,
            Seed = c.Seed,
            BatchSize = d.BatchSize,
            NumWorkers = Math.Max(1, d.NumWorkers),
            QueueCapacity = d.PrefetchBatches,
            CacheImages = d.CacheImages,
            MaxImagePixels = d.MaxImagePixels,
            PadSmall = d.PadSmall,
            Shard = shard ?? BatchShard.Whole,
            RealEsrgan = d.Realesrgan.Enabled ? d.Realesrgan : null,
            Degradations = new DegradationOptions
            {
                NoiseProbability = d.NoiseProb,
                NoiseSigmaMin = d.NoiseRange[0],
                NoiseSigmaMax = d.NoiseRange[1],
                JpegProbability = d.JpegProb,
                JpegQualityMin = d.JpegRange[0],
                JpegQualityMax = d.JpegRange[1],
            },
        };
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(HqDir)) throw new SrTrainException("datasets.train.hq_dir: must name a folder");
        if (Scale < 1) throw new SrTrainException($"scale {Scale}: must be at least 1");
        if (GtSize < Scale || GtSize % Scale != 0) throw new SrTrainException($"gt_size {GtSize}: must be a positive multiple of scale {Scale}");
        if (BatchSize < 1) throw new SrTrainException($"batch_size {BatchSize}: must be at least 1");
        Shard.Validate(BatchSize);
        if (NumWorkers < 1) throw new SrTrainException($"num_workers {NumWorkers}: must be at least 1");
        if (QueueCapacity < 1) throw new SrTrainException($"queue capacity (prefetch) {QueueCapacity}: must be at least 1");
        if (MaxImagePixels < 1) throw new SrTrainException($"max image pixels {MaxImagePixels}: must be positive");
        if (TranslationalShift < 0) throw new SrTrainException($"translational shift {TranslationalShift}: must be 0 (off) or positive");
        if (TranslationalShift > 0) TranslationalCrops.Validate(FullPatchSize, Scale, TranslationalShift);
        if (TranslationalShift > 0 && TranslationalViews == TranslationalViews.SubPixel && LqDir != null)
            throw new SrTrainException("losses.translational.views SubPixel: makes each view's LQ from its own HQ crop, which paired data (an LQ folder) cannot");
        Degradations.Validate();
    }
}
