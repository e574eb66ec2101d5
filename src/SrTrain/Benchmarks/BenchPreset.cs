using SrTrain.Config;

namespace SrTrain.Benchmarks;

/// <summary>The work one benchmark step does, op for op the same as scripts/peer_srgan_step.py's preset of the same
/// name, so that SrTrain's time can be set against PyTorch's.</summary>
internal sealed record BenchPreset
{
    public required string Name { get; init; }
    /// <summary>Generator: RRDBNet x<see cref="Scale"/> with these feature, block and growth counts.</summary>
    public int Scale { get; init; } = 4;
    public int NumFeat { get; init; } = 32;
    public int NumBlock { get; init; } = 4;
    public int NumGrowCh { get; init; } = 16;
    /// <summary>VGG-style discriminator's feature count; its input is <see cref="HqSize"/>.</summary>
    public int DNumFeat { get; init; } = 32;
    public int BatchSize { get; init; } = 4;
    /// <summary>HQ side of the main pass (the discriminator's and the losses' input); LQ side is HqSize / Scale.</summary>
    public int HqSize { get; init; } = 128;
    /// <summary>Translational shift in LQ pixels: the full patch is HqSize + Scale·shift.</summary>
    public int TranslationalShift { get; init; } = 4;
    /// <summary>Inference input side (one image, no gradients).</summary>
    public int InferSize { get; init; } = 128;

    public int LqSize => HqSize / Scale;

    /// <summary>The peer's preset: RRDBNet x4 nf32 nb4 gc16, D nf32 at 128, batch 4, LQ 32 → HQ 128.</summary>
    public static readonly BenchPreset CpuSmall = new() { Name = "cpu-small" };

    /// <summary>The peer's GPU preset, BasicSR's ESRGAN x4 recipe: RRDBNet nf64 nb23 gc32, VGG-style D nf64 at 128,
    /// batch 16, LQ 32 → HQ 128 (peer_srgan_gpu.py --preset esrgan). The translational shift is the peer's 16 HQ pixels
    /// (144-pixel full patch), as for cpu-small.</summary>
    public static readonly BenchPreset Esrgan = new()
    {
        Name = "esrgan",
        NumFeat = 64,
        NumBlock = 23,
        NumGrowCh = 32,
        DNumFeat = 64,
        BatchSize = 16,
    };

    public static IReadOnlyList<BenchPreset> All { get; } = new[] { CpuSmall, Esrgan };

    public static BenchPreset Find(string name) =>
        All.FirstOrDefault(p => p.Name == name)
        ?? throw new SrTrainException($"--preset '{name}': unknown; use one of {string.Join(", ", All.Select(p => p.Name))}");

    /// <summary>The peer's losses: 0.01·L1 + 1.0·perceptual (VGG-16 relu1_2 … relu5_3 weighted .1, .1, 1, 1, 1) +
    /// 0.005·RaGAN, and with the translational term L1 weight 1 at this preset's shift.</summary>
    public LossesConfig Losses(bool translational) => new()
    {
        Pixel = new PixelLossConfig { Criterion = PixelCriterion.L1, Weight = 0.01 },
        Perceptual = new PerceptualLossConfig { Weight = 1.0 },   // the default layer weights are the peer's
        Gan = new GanLossConfig { Type = GanType.RaGAN, Weight = 0.005 },
        Translational = new TranslationalLossConfig { Weight = translational ? 1.0 : 0.0, Shift = TranslationalShift },
    };
}
