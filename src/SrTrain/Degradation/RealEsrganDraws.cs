namespace SrTrain.Degradation;

// Every random choice of Real-ESRGAN's degradation (BasicSR's RealESRGANDataset.__getitem__ + RealESRGANModel.feed_data),
// as plain values. The pipeline draws them from SampleRandom (a pure function of seed, step, sample); the BasicSR
// fixture test feeds BasicSR's own recorded draws instead. Names follow BasicSR's.

/// <summary>BasicSR's kernel_list names, plus the sinc (circular low-pass) kernel chosen by sinc_prob.</summary>
internal enum KernelType { Iso, Aniso, GeneralizedIso, GeneralizedAniso, PlateauIso, PlateauAniso, Sinc, Pulse }

/// <summary>One blur kernel: <see cref="Size"/> is the odd kernel size before padding to 21 (7..21). Gaussian-type
/// kernels use SigmaX/SigmaY/Rotation (isotropic: SigmaY = SigmaX, Rotation = 0) and Beta (generalized, plateau);
/// Sinc uses OmegaC. Pulse is the identity (no final sinc filter).</summary>
internal sealed record KernelDraw(KernelType Type, int Size, double SigmaX = 0, double SigmaY = 0, double Rotation = 0,
    double Beta = 0, double OmegaC = 0)
{
    public static readonly KernelDraw Pulse = new(KernelType.Pulse, 21);
}

// Public (the application's types are internal): xunit theories in the tests take it as a parameter.
/// <summary>F.interpolate's modes that feed_data picks from (random.choice(['area', 'bilinear', 'bicubic'])).</summary>
public enum ResizeMode { Area, Bilinear, Bicubic }

/// <summary>random.choices(['up', 'down', 'keep'], resize_prob) and the scale drawn for it (1 for keep).</summary>
internal enum ResizeDirection { Up, Down, Keep }

internal sealed record ResizeDraw(ResizeDirection Direction, double Scale, ResizeMode Mode);

/// <summary>One noise stage of one sample. Gaussian (chosen per batch by gaussian_noise_prob) uses Sigma (0..255
/// scale); Poisson uses PoissonScale. Gray: the same noise on all three channels. NoiseSeed seeds the noise tensor
/// (torch.Generator on the CPU), so the noise is a pure function of the draws.</summary>
internal sealed record NoiseDraw(bool Gaussian, double Sigma, double PoissonScale, bool Gray, ulong NoiseSeed);

/// <summary>The draws of one sample (RealESRGANDataset.__getitem__: augmentation, the 400-crop, the three kernels;
/// feed_data's per-sample tensors: noise sigma/scale/gray and JPEG qualities).</summary>
internal sealed record SampleDraws(
    bool HFlip, bool VFlip, bool Rot90,
    int CropTop, int CropLeft,
    KernelDraw Kernel1, KernelDraw Kernel2, KernelDraw FinalSinc,
    NoiseDraw Noise1, double Jpeg1,
    NoiseDraw Noise2, double Jpeg2)
{
    /// <summary>These draws with the batch's noise type (feed_data picks Gaussian or Poisson once per batch) set on
    /// <see cref="Noise1"/> and <see cref="Noise2"/>.</summary>
    public SampleDraws WithNoiseTypes(bool gaussian1, bool gaussian2) =>
        this with { Noise1 = Noise1 with { Gaussian = gaussian1 }, Noise2 = Noise2 with { Gaussian = gaussian2 } };
}

/// <summary>The draws feed_data makes once per batch: both resizes, whether the second blur runs, the order of
/// [resize back + sinc] and JPEG, the mode of the resize back, and paired_random_crop's LQ top/left.</summary>
internal sealed record BatchDraws(
    ResizeDraw Resize1, bool Gaussian1,
    bool SecondBlur, ResizeDraw Resize2, bool Gaussian2,
    bool ResizeBackFirst, ResizeMode FinalMode,
    int LqCropTop, int LqCropLeft);
