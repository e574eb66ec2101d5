namespace SrTrain.Config;

// Every option SrTrain reads from YAML, with its default. YAML keys are the snake_case of the property names
// (num_feat, gt_size, ...), following BasicSR's option files where a name exists there. A YAML file holds only what
// differs from these defaults. Validation lives in ConfigValidator, binding in ConfigLoader.

/// <summary>The whole run configuration (the root of the YAML file).</summary>
internal sealed record SrTrainConfig
{
    /// <summary>Run name: the run folder is runs/&lt;name&gt;.</summary>
    public string Name { get; init; } = "run";
    /// <summary>Upscaling factor (1, 2, 4 or 8; MSRResNet also 3).</summary>
    public int Scale { get; init; } = 4;
    /// <summary>Seed for weight initialisation and for the data order: step N's data is a function of (seed, N).</summary>
    public int Seed { get; init; } = 0;
    /// <summary>Where run folders are created.</summary>
    public string RunsDir { get; init; } = "runs";
    public DatasetsConfig Datasets { get; init; } = new();
    public GeneratorConfig NetworkG { get; init; } = new();
    public DiscriminatorConfig NetworkD { get; init; } = new();
    public PathConfig Path { get; init; } = new();
    public LossesConfig Losses { get; init; } = new();
    public TrainConfig Train { get; init; } = new();
    public ValConfig Val { get; init; } = new();
    public LoggerConfig Logger { get; init; } = new();
    public CheckpointConfig Checkpoint { get; init; } = new();
    /// <summary>Data-parallel training under mpirun or srun (ignored in a single process).</summary>
    public DistributedConfig Distributed { get; init; } = new();
}

internal sealed record DatasetsConfig
{
    public TrainDataConfig Train { get; init; } = new();
    public ValDataConfig Val { get; init; } = new();
}

internal sealed record TrainDataConfig
{
    /// <summary>Folder of high-quality images (searched recursively). BasicSR: dataroot_gt.</summary>
    public string DatarootGt { get; init; } = "";
    /// <summary>Optional folder of matching low-quality images (same file names); empty = LQ made by bicubic downscaling.</summary>
    public string DatarootLq { get; init; } = "";
    /// <summary>HQ patch size the losses and the discriminator see. While the translational term is active, full patches
    /// of gt_size + scale·shift are cut and two of their gt_size corners are used (the original example, 256-pixel
    /// patches with 224-pixel corners, is gt_size 224, shift 8 at x4).</summary>
    public int GtSize { get; init; } = 128;
    public bool UseHflip { get; init; } = true;
    public bool UseRot { get; init; } = true;
    /// <summary>Patches per step.</summary>
    public int BatchSize { get; init; } = 4;
    /// <summary>Background threads that decode, crop and degrade.</summary>
    public int NumWorkers { get; init; } = 2;
    /// <summary>Batches prepared ahead of the training step.</summary>
    public int PrefetchBatches { get; init; } = 4;
    /// <summary>Keep decoded images in memory (small data sets).</summary>
    public bool CacheImages { get; init; } = false;
    /// <summary>Images with more pixels than this are refused before decoding (decompression bombs).</summary>
    public long MaxImagePixels { get; init; } = InputLimits.MaxImagePixels;
    /// <summary>Reflect-pad images smaller than gt_size instead of skipping them.</summary>
    public bool PadSmall { get; init; } = false;
    /// <summary>Probability of adding Gaussian noise to the LQ patch (0 = off).</summary>
    public double NoiseProb { get; init; } = 0;
    /// <summary>Gaussian noise sigma range on the 0..255 scale.</summary>
    public double[] NoiseRange { get; init; } = { 1, 10 };
    /// <summary>Probability of JPEG re-compression of the LQ patch (0 = off).</summary>
    public double JpegProb { get; init; } = 0;
    /// <summary>JPEG quality range.</summary>
    public int[] JpegRange { get; init; } = { 50, 95 };
    /// <summary>BasicSR's meta_info: a text file listing the images to train on, one per line, relative to dataroot_gt
    /// (first word of each line; paired data: "gt_path, lq_path"). Empty = every image under the folders.</summary>
    public string MetaInfo { get; init; } = "";
    /// <summary>Real-ESRGAN's high-order degradation: LQ made on the fly from each HQ patch by two random rounds of
    /// blur, resize, noise and JPEG (BasicSR's RealESRGANDataset + RealESRGANModel.feed_data).</summary>
    public RealEsrganDegradationConfig Realesrgan { get; init; } = new();
}

/// <summary>datasets.train.realesrgan: every setting under BasicSR's own name (the dataset's kernel settings and the
/// model's feed_data settings), with the values of Real-ESRGAN's train_realesrnet_x4plus.yml as defaults.</summary>
internal sealed record RealEsrganDegradationConfig
{
    /// <summary>On: LQ is synthesised by the high-order degradation (BasicSR: high_order_degradation with
    /// model_type RealESRNetModel/RealESRGANModel). Needs no dataroot_lq.</summary>
    public bool Enabled { get; init; } = false;
    /// <summary>HQ crop (reflect-padded when smaller) that is degraded before the gt_size patch is cut from it
    /// (Real-ESRGAN hard-codes 400 for gt_size 256).</summary>
    public int CropPadSize { get; init; } = 400;

    // The first degradation's blur (RealESRGANDataset).
    public int BlurKernelSize { get; init; } = 21;
    public string[] KernelList { get; init; } = { "iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso" };
    public double[] KernelProb { get; init; } = { 0.45, 0.25, 0.12, 0.03, 0.12, 0.03 };
    public double SincProb { get; init; } = 0.1;
    public double[] BlurSigma { get; init; } = { 0.2, 3 };
    public double[] BetagRange { get; init; } = { 0.5, 4 };
    public double[] BetapRange { get; init; } = { 1, 2 };

    // The second degradation's blur.
    public int BlurKernelSize2 { get; init; } = 21;
    public string[] KernelList2 { get; init; } = { "iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso" };
    public double[] KernelProb2 { get; init; } = { 0.45, 0.25, 0.12, 0.03, 0.12, 0.03 };
    public double SincProb2 { get; init; } = 0.1;
    public double[] BlurSigma2 { get; init; } = { 0.2, 1.5 };
    public double[] BetagRange2 { get; init; } = { 0.5, 4 };
    public double[] BetapRange2 { get; init; } = { 1, 2 };

    /// <summary>Probability of the final sinc filter.</summary>
    public double FinalSincProb { get; init; } = 0.8;

    // The first degradation (RealESRGANModel.feed_data).
    /// <summary>Probabilities of up, down, keep.</summary>
    public double[] ResizeProb { get; init; } = { 0.2, 0.7, 0.1 };
    public double[] ResizeRange { get; init; } = { 0.15, 1.5 };
    public double GaussianNoiseProb { get; init; } = 0.5;
    /// <summary>Gaussian noise sigma range on the 0..255 scale.</summary>
    public double[] NoiseRange { get; init; } = { 1, 30 };
    public double[] PoissonScaleRange { get; init; } = { 0.05, 3 };
    public double GrayNoiseProb { get; init; } = 0.4;
    public double[] JpegRange { get; init; } = { 30, 95 };

    // The second degradation.
    public double SecondBlurProb { get; init; } = 0.8;
    public double[] ResizeProb2 { get; init; } = { 0.3, 0.4, 0.3 };
    public double[] ResizeRange2 { get; init; } = { 0.3, 1.2 };
    public double GaussianNoiseProb2 { get; init; } = 0.5;
    public double[] NoiseRange2 { get; init; } = { 1, 25 };
    public double[] PoissonScaleRange2 { get; init; } = { 0.05, 2.5 };
    public double GrayNoiseProb2 { get; init; } = 0.4;
    public double[] JpegRange2 { get; init; } = { 30, 95 };

    /// <summary>Training-pair pool size (a multiple of the batch size; 0 = no pool).</summary>
    public int QueueSize { get; init; } = 180;
    /// <summary>Sharpen the GT (USM) with the 51×51 Gaussian as two 1-D passes instead of BasicSR's one 2-D filter:
    /// about 5× faster on a CPU (USM is most of the pipeline's time there); not bit-equal: the threshold mask flips at
    /// about 0.1% of pixels, moving them by up to 3e-4.</summary>
    public bool SeparableUsm { get; init; } = false;
}

internal sealed record ValDataConfig
{
    /// <summary>Folder of validation HQ images; empty = no validation.</summary>
    public string DatarootGt { get; init; } = "";
    /// <summary>Optional matching LQ folder; empty = bicubic downscaling of the HQ images.</summary>
    public string DatarootLq { get; init; } = "";
}

// Public (the application's types are internal): xunit theories in the tests take it as a parameter.
public enum GeneratorType { RRDBNet, MSRResNet, SRVGGNetCompact }

internal sealed record GeneratorConfig
{
    /// <summary>RRDBNet (ESRGAN), MSRResNet (SRResNet without BN) or SRVGGNetCompact (Real-ESRGAN's light net).</summary>
    public GeneratorType Type { get; init; } = GeneratorType.RRDBNet;
    public int NumInCh { get; init; } = 3;
    public int NumOutCh { get; init; } = 3;
    public int NumFeat { get; init; } = 64;
    /// <summary>RRDB blocks (RRDBNet), residual blocks (MSRResNet) or conv layers (SRVGGNetCompact: num_conv).</summary>
    public int NumBlock { get; init; } = 23;
    /// <summary>Growth channels of RRDBNet's dense blocks.</summary>
    public int NumGrowCh { get; init; } = 32;
}

internal enum DiscriminatorType { VGGStyleDiscriminator, UNetDiscriminatorSN }

internal sealed record DiscriminatorConfig
{
    public DiscriminatorType Type { get; init; } = DiscriminatorType.VGGStyleDiscriminator;
    public int NumInCh { get; init; } = 3;
    public int NumFeat { get; init; } = 64;
}

internal sealed record PathConfig
{
    /// <summary>Generator weights to start from (.pth or .safetensors, e.g. a PSNR-oriented pre-training).</summary>
    public string PretrainNetworkG { get; init; } = "";
    /// <summary>Pretrained VGG-16 weights for the perceptual loss and vgg_dist: torchvision's vgg16-397923af.pth as
    /// downloaded. Empty = the loss (vgg_type vgg16) takes torchvision's download cache ($TORCH_HOME/hub/checkpoints, else
    /// $XDG_CACHE_HOME/torch/hub/checkpoints, else ~/.cache/torch/hub/checkpoints); vgg_dist needs it only without that loss.</summary>
    public string Vgg16 { get; init; } = "";
    /// <summary>Pretrained VGG-19 weights (losses.perceptual.vgg_type vgg19): torchvision's vgg19-dcbb9e9d.pth.
    /// Empty = torchvision's download cache ($TORCH_HOME/hub/checkpoints, else $XDG_CACHE_HOME/torch/hub/checkpoints,
    /// else ~/.cache/torch/hub/checkpoints).</summary>
    public string Vgg19 { get; init; } = "";
    /// <summary>Which entry of pretrain_network_g to load (BasicSR's param_key_g); empty = params_ema, else params.</summary>
    public string ParamKeyG { get; init; } = "";
    /// <summary>Off: load only the entries of pretrain_network_g whose name and shape fit, leave the rest as initialised
    /// (BasicSR's strict_load_g: false, e.g. Real-ESRGAN's x2 training from its x4 model). Each skipped entry is logged.</summary>
    public bool StrictLoadG { get; init; } = true;
    /// <summary>Discriminator weights to start from (BasicSR's pretrain_network_d, e.g. RealESRGAN_x4plus_netD.pth).</summary>
    public string PretrainNetworkD { get; init; } = "";
    /// <summary>Which entry of pretrain_network_d to load; empty = params.</summary>
    public string ParamKeyD { get; init; } = "";
    /// <summary>Off: load only the entries of pretrain_network_d that fit (BasicSR's strict_load_d: false).</summary>
    public bool StrictLoadD { get; init; } = true;
}

internal enum PixelCriterion { L1, L2, Charbonnier }
// Public (the application's types are internal): xunit theories in the tests take it as a parameter.
public enum GanType { RaGAN, Vanilla, LSGAN, Hinge }

internal sealed record LossesConfig
{
    public PixelLossConfig Pixel { get; init; } = new();
    public PerceptualLossConfig Perceptual { get; init; } = new();
    public GanLossConfig Gan { get; init; } = new();
    public TranslationalLossConfig Translational { get; init; } = new();
}

internal sealed record PixelLossConfig
{
    public PixelCriterion Criterion { get; init; } = PixelCriterion.L1;
    public double Weight { get; init; } = 1.0;
    public long StartStep { get; init; } = 0;
    /// <summary>Charbonnier's epsilon.</summary>
    public double Eps { get; init; } = 1e-12;
    /// <summary>Compare with the USM-sharpened GT (Real-ESRGAN's l1_gt_usm / RealESRNet's gt_usm).</summary>
    public bool GtUsm { get; init; } = false;
}

internal sealed record PerceptualLossConfig
{
    /// <summary>0 = off. ESRGAN uses 1.0.</summary>
    public double Weight { get; init; } = 0;
    public long StartStep { get; init; } = 0;
    /// <summary>The usual VGG-16 layer set (ESRGAN uses conv5_4 of VGG-19, which VGG-16 lacks): the default of
    /// <see cref="LayerWeights"/>, and the fixed layers of the vgg_dist metric.</summary>
    public static readonly IReadOnlyDictionary<string, double> DefaultLayerWeights = new Dictionary<string, double>
    {
        ["relu1_2"] = 0.1,
        ["relu2_2"] = 0.1,
        ["relu3_3"] = 1.0,
        ["relu4_3"] = 1.0,
        ["relu5_3"] = 1.0,
    };

    /// <summary>Layers of vgg_type by BasicSR's names (conv1_1 … relu5_4, pool1 … pool5) and their weights (default:
    /// VGG-16's relu1_2 0.1, relu2_2 0.1, relu3_3 1, relu4_3 1, relu5_3 1, the DefaultLayerWeights).</summary>
    public Dictionary<string, double> LayerWeights { get; init; } = new(DefaultLayerWeights);
    /// <summary>vgg16 or vgg19 (BasicSR's vgg_type).</summary>
    public string VggType { get; init; } = "vgg16";
    /// <summary>Normalise inputs with ImageNet's mean and std before VGG (BasicSR's use_input_norm).</summary>
    public bool UseInputNorm { get; init; } = true;
    /// <summary>Map inputs from [-1, 1] to [0, 1] first (BasicSR's range_norm).</summary>
    public bool RangeNorm { get; init; } = false;
    /// <summary>Weight of the Gram-matrix style loss (BasicSR's style_weight; 0 = off), logged as l_g_style.</summary>
    public double StyleWeight { get; init; } = 0;
    /// <summary>The criteria <see cref="Criterion"/> may name.</summary>
    public static readonly IReadOnlyList<string> Criteria = new[] { "l1", "l2", "fro" };
    /// <summary>l1, l2 or fro (BasicSR's criterion).</summary>
    public string Criterion { get; init; } = "l1";
    /// <summary>Compare with the USM-sharpened GT (Real-ESRGAN's percep_gt_usm).</summary>
    public bool GtUsm { get; init; } = false;

    // Value equality with the layer weights compared by content (a record compares a Dictionary by reference), so
    // `resume` can tell whether the losses changed (LossesConfig's equality uses this).
    public bool Equals(PerceptualLossConfig? other) =>
        other is not null && Weight == other.Weight && StartStep == other.StartStep && VggType == other.VggType &&
        UseInputNorm == other.UseInputNorm && RangeNorm == other.RangeNorm && StyleWeight == other.StyleWeight &&
        Criterion == other.Criterion && GtUsm == other.GtUsm && LayerWeights.Count == other.LayerWeights.Count &&
        LayerWeights.All(kv => other.LayerWeights.TryGetValue(kv.Key, out var w) && w == kv.Value);

    public override int GetHashCode() => HashCode.Combine(Weight, StartStep, VggType, Criterion, StyleWeight, LayerWeights.Count);
}

internal sealed record GanLossConfig
{
    public GanType Type { get; init; } = GanType.RaGAN;
    /// <summary>0 = off (and no discriminator is trained). ESRGAN uses 0.005.</summary>
    public double Weight { get; init; } = 0;
    /// <summary>Step from which the GAN loss and the discriminator's training start (pixel-only pre-training before).</summary>
    public long StartStep { get; init; } = 0;
    /// <summary>Show the discriminator the USM-sharpened GT as real (Real-ESRGAN's gan_gt_usm).</summary>
    public bool GtUsm { get; init; } = false;
}

internal sealed record TranslationalLossConfig
{
    /// <summary>0 = off: no second generator pass, no extra cost.</summary>
    public double Weight { get; init; } = 0;
    /// <summary>Step from which the term is on; it should start once the generator makes coherent images.</summary>
    public long StartStep { get; init; } = 0;
    /// <summary>Shift k in LQ pixels between corner crops: the full patch is gt_size + scale·k and the region all four
    /// corners share is gt_size − scale·k (gt_size 224, k = 8 at x4: full patch 256, shared region 192).</summary>
    public int Shift { get; init; } = 8;
    /// <summary>Stop gradients through the second pass (by default both passes get gradients).</summary>
    public bool DetachSecond { get; init; } = false;
    /// <summary>Which two views of the patch are compared. Corners: two of its four corners (offsets 0 or scale·shift
    /// HQ px, one pair per batch). Free: any two LQ-pixel offsets in [0, shift] per axis, drawn per sample. SubPixel:
    /// any two HQ-pixel offsets in [0, scale·shift] per axis whose difference is not a multiple of scale on at least
    /// one axis, drawn per sample, each view's LQ made from its own HQ crop (bicubic, then the same degradation draws);
    /// needs LQ made on the fly (no datasets.train.dataroot_lq). All compare the patch's central
    /// (gt_size − scale·shift)² region.</summary>
    public TranslationalViews Views { get; init; } = TranslationalViews.Corners;
}

// Public (the application's types are internal): xunit theories in the tests take it as a parameter.
/// <summary>The views the translational term compares (losses.translational.views).</summary>
public enum TranslationalViews { Corners, Free, SubPixel }

internal enum SchedulerType { Constant, MultiStep, Cosine }

internal sealed record OptimizerConfig
{
    public double Lr { get; init; } = 1e-4;
    public double[] Betas { get; init; } = { 0.9, 0.99 };
    public double WeightDecay { get; init; } = 0;
}

internal sealed record SchedulerConfig
{
    public SchedulerType Type { get; init; } = SchedulerType.MultiStep;
    /// <summary>MultiStep: steps at which the LR is multiplied by gamma.</summary>
    public long[] Milestones { get; init; } = Array.Empty<long>();
    public double Gamma { get; init; } = 0.5;
    /// <summary>Linear warm-up from 0 over this many steps.</summary>
    public long WarmupSteps { get; init; } = 0;
    /// <summary>Cosine: the LR reached at total_steps.</summary>
    public double EtaMin { get; init; } = 1e-7;
}

internal sealed record TrainConfig
{
    public long TotalSteps { get; init; } = 400_000;
    public OptimizerConfig OptimG { get; init; } = new();
    public OptimizerConfig OptimD { get; init; } = new();
    public SchedulerConfig Scheduler { get; init; } = new();
    /// <summary>EMA decay of the generator's weights (0 = no EMA; BasicSR: 0.999).</summary>
    public double EmaDecay { get; init; } = 0.999;
    /// <summary>Clip the gradient norm of each network to this (0 = off).</summary>
    public double GradClip { get; init; } = 0;
    /// <summary>Stop after this many non-finite losses in a row (each one's step is skipped).</summary>
    public int MaxNonfiniteInARow { get; init; } = 10;
}

internal sealed record ValConfig
{
    /// <summary>Validate every this many steps (0 = only at the end).</summary>
    public int ValFreq { get; init; } = 5000;
    /// <summary>Border cropped before PSNR/SSIM; -1 = the scale (BasicSR's crop_border = scale, and what `eval` uses).</summary>
    public int CropBorder { get; init; } = -1;
    /// <summary>How many validation images are saved as PNG side by side (LQ, output, HQ) at each validation.</summary>
    public int SaveImages { get; init; } = 3;
    /// <summary>Shift in LQ pixels for the shift-consistency metric.</summary>
    public int ShiftK { get; init; } = 3;
    /// <summary>Validation images larger than this (LQ pixels per side) are center-cropped, to bound the time.</summary>
    public int MaxLqSize { get; init; } = 128;
}

internal sealed record LoggerConfig
{
    /// <summary>Log the named losses every this many steps.</summary>
    public int PrintFreq { get; init; } = 100;
    public bool UseTensorboard { get; init; } = true;
}

internal sealed record CheckpointConfig
{
    /// <summary>Save every this many steps (the final step is always saved).</summary>
    public int SaveFreq { get; init; } = 5000;
    /// <summary>Keep the newest K checkpoints saved on schedule (every save_freq steps, and the final one; a Ctrl+C
    /// checkpoint takes no place) ... </summary>
    public int KeepLast { get; init; } = 3;
    /// <summary>... plus every checkpoint whose step is a multiple of this (0 = none), the latest, and the steps listed
    /// in checkpoints/keep (branch points, or added by hand).</summary>
    public int KeepEvery { get; init; } = 0;
}

internal enum DistributedBackend { Auto, Mpi, Nccl }

internal sealed record DistributedConfig
{
    /// <summary>How gradients are averaged over ranks: auto (NCCL when every rank trains on a GPU and libnccl.so.2
    /// loads, else MPI on host copies), mpi, or nccl (fail when it cannot be used).</summary>
    public DistributedBackend Backend { get; init; } = DistributedBackend.Auto;
    /// <summary>Compare a checksum of the weights across ranks every this many steps; they must stay identical.</summary>
    public int CheckEvery { get; init; } = 100;
    /// <summary>Minutes a rank waits at a barrier (while rank 0 validates or writes a checkpoint) before it decides a
    /// rank hangs and aborts the job.</summary>
    public int BarrierTimeoutMinutes { get; init; } = 60;
}
