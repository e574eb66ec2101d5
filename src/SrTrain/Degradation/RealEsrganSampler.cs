using SrTrain.Runtime;
using SrTrain.Config;
using SrTrain.Data;

namespace SrTrain.Degradation;

/// <summary>Draws Real-ESRGAN's random degradation choices from <see cref="SampleRandom"/> streams, with the
/// distributions of BasicSR's RealESRGANDataset.__getitem__ (augment, the crop_pad_size crop, the three kernels) and
/// Real-ESRGAN's RealESRGANModel.feed_data (resizes, noise, JPEG, second blur, order, paired_random_crop).
/// <para>Every value is drawn whether or not it is used (the sinc cutoff of a Gaussian kernel, sigma_y of an isotropic
/// one, the Poisson scale of a Gaussian-noise batch, …), in a fixed order, so changing one setting does not shift the
/// randomness of the others (as <see cref="Degradations"/> does). The per-sample stream is
/// SampleRandom.For(seed, step, index); the batch-wide draws use index <see cref="BatchStreamIndex"/>.</para>
/// <para>Kernel sizes are drawn from 7, 9, …, 21 as RealESRGANDataset hard-codes (self.kernel_range); BasicSR reads
/// blur_kernel_size / blur_kernel_size2 but never uses them, and neither does this sampler.</para></summary>
internal sealed class RealEsrganSampler
{
    /// <summary>SampleRandom index of the batch-wide Real-ESRGAN draws (−1 is the translational corner stream).</summary>
    public const int BatchStreamIndex = -2;

    static readonly ResizeDirection[] Directions = { ResizeDirection.Up, ResizeDirection.Down, ResizeDirection.Keep };

    readonly RealEsrganDegradationConfig _c;
    readonly bool _useHflip, _useRot;
    readonly KernelType[] _types1, _types2;

    public RealEsrganSampler(RealEsrganDegradationConfig config, bool useHflip, bool useRot)
    {
        _c = config;
        _useHflip = useHflip;
        _useRot = useRot;
        _types1 = config.KernelList.Select(ParseKernelType).ToArray();
        _types2 = config.KernelList2.Select(ParseKernelType).ToArray();
        if (_types1.Length != config.KernelProb.Length || _types2.Length != config.KernelProb2.Length)
            throw new ArgumentException("kernel_list and kernel_prob (kernel_list2 and kernel_prob2) differ in length");
    }

    public RealEsrganSampler(TrainDataConfig train) : this(train.Realesrgan, train.UseHflip, train.UseRot) { }

    /// <summary>The stream of the batch-wide draws of <paramref name="step"/>.</summary>
    public static SampleRandom BatchStream(long seed, long step) => SampleRandom.For(seed, step, BatchStreamIndex);

    /// <summary>random_mixed_kernels' kernel_list names.</summary>
    public static KernelType ParseKernelType(string name) => name switch
    {
        "iso" => KernelType.Iso,
        "aniso" => KernelType.Aniso,
        "generalized_iso" => KernelType.GeneralizedIso,
        "generalized_aniso" => KernelType.GeneralizedAniso,
        "plateau_iso" => KernelType.PlateauIso,
        "plateau_aniso" => KernelType.PlateauAniso,
        _ => throw new ArgumentException($"kernel type '{name}' is not one of iso, aniso, generalized_iso, " +
                                         "generalized_aniso, plateau_iso, plateau_aniso"),
    };

    /// <summary>The draws of one sample whose HQ image is <paramref name="imageHeight"/>×<paramref name="imageWidth"/>
    /// before augmentation. Gaussian vs Poisson noise is a batch choice (<see cref="BatchDraws.Gaussian1"/>): the
    /// <see cref="NoiseDraw.Gaussian"/> flags are false here; the overload taking the batch's draws sets them.</summary>
    public SampleDraws DrawSample(SampleRandom rng, int imageHeight, int imageWidth)
    {
        // augment(img_gt, use_hflip, use_rot)
        bool hflip = _useHflip & rng.NextDouble() < 0.5;
        bool vflip = _useRot & rng.NextDouble() < 0.5;
        bool rot90 = _useRot & rng.NextDouble() < 0.5;
        if (rot90) (imageHeight, imageWidth) = (imageWidth, imageHeight);
        // reflect-pad to crop_pad_size where smaller, then random.randint(0, h - crop_pad_size) (inclusive)
        int crop = _c.CropPadSize;
        int top = rng.NextInt(Math.Max(imageHeight, crop) - crop + 1);
        int left = rng.NextInt(Math.Max(imageWidth, crop) - crop + 1);

        var kernel1 = DrawKernel(rng, _types1, _c.KernelProb, _c.SincProb, _c.BlurSigma, _c.BetagRange, _c.BetapRange);
        var kernel2 = DrawKernel(rng, _types2, _c.KernelProb2, _c.SincProb2, _c.BlurSigma2, _c.BetagRange2, _c.BetapRange2);
        // the final sinc: np.random.uniform() < final_sinc_prob, then size and omega_c in [π/3, π]
        bool finalSinc = rng.NextDouble() < _c.FinalSincProb;
        int finalSize = DrawKernelSize(rng);
        double finalOmega = rng.NextUniform(Math.PI / 3, Math.PI);
        var sinc = finalSinc ? new KernelDraw(KernelType.Sinc, finalSize, OmegaC: finalOmega) : KernelDraw.Pulse;

        var noise1 = DrawNoise(rng, _c.NoiseRange, _c.PoissonScaleRange, _c.GrayNoiseProb);
        double jpeg1 = rng.NextUniform(_c.JpegRange[0], _c.JpegRange[1]);   // uniform_(*jpeg_range)
        var noise2 = DrawNoise(rng, _c.NoiseRange2, _c.PoissonScaleRange2, _c.GrayNoiseProb2);
        double jpeg2 = rng.NextUniform(_c.JpegRange2[0], _c.JpegRange2[1]);
        return new SampleDraws(hflip, vflip, rot90, top, left, kernel1, kernel2, sinc, noise1, jpeg1, noise2, jpeg2);
    }

    /// <summary><see cref="DrawSample(SampleRandom, int, int)"/> with the noise type of each stage taken from the
    /// batch's draws.</summary>
    public SampleDraws DrawSample(SampleRandom rng, int imageHeight, int imageWidth, BatchDraws batch) =>
        DrawSample(rng, imageHeight, imageWidth).WithNoiseTypes(batch.Gaussian1, batch.Gaussian2);

    /// <summary>The batch-wide draws of feed_data for an LQ of <paramref name="lqHeight"/>×<paramref name="lqWidth"/>
    /// (crop_pad_size / scale) from which paired_random_crop cuts an <paramref name="lqPatch"/> square (gt_size / scale).</summary>
    public BatchDraws DrawBatch(SampleRandom rng, int lqHeight, int lqWidth, int lqPatch)
    {
        if (lqPatch > lqHeight || lqPatch > lqWidth)
            throw new ArgumentException($"LQ patch {lqPatch} is larger than the LQ image {lqHeight}x{lqWidth}");
        var resize1 = DrawResize(rng, _c.ResizeProb, _c.ResizeRange);
        bool gaussian1 = rng.NextDouble() < _c.GaussianNoiseProb;
        bool secondBlur = rng.NextDouble() < _c.SecondBlurProb;
        var resize2 = DrawResize(rng, _c.ResizeProb2, _c.ResizeRange2);
        bool gaussian2 = rng.NextDouble() < _c.GaussianNoiseProb2;
        bool resizeBackFirst = rng.NextDouble() < 0.5;
        var finalMode = (ResizeMode)rng.NextInt(3);
        int top = rng.NextInt(lqHeight - lqPatch + 1);
        int left = rng.NextInt(lqWidth - lqPatch + 1);
        return new BatchDraws(resize1, gaussian1, secondBlur, resize2, gaussian2, resizeBackFirst, finalMode, top, left);
    }

    /// <summary>random.choice(self.kernel_range): 7, 9, …, 21.</summary>
    static int DrawKernelSize(SampleRandom rng) => 7 + 2 * rng.NextInt(8);

    /// <summary>One kernel of RealESRGANDataset.__getitem__: size; sinc with probability sinc_prob (omega_c in
    /// [π/3, π] below size 13, else [π/5, π]); otherwise random_mixed_kernels: the type by random.choices, sigma_x
    /// and (anisotropic) sigma_y in blur_sigma, rotation in [−π, π], beta in [b0, 1] or [1, b1] with even odds
    /// (betag_range for generalized, betap_range for plateau kernels).</summary>
    static KernelDraw DrawKernel(SampleRandom rng, KernelType[] types, double[] probs, double sincProb,
        double[] sigma, double[] betag, double[] betap)
    {
        int size = DrawKernelSize(rng);
        bool sinc = rng.NextDouble() < sincProb;
        double omega = size < 13 ? rng.NextUniform(Math.PI / 3, Math.PI) : rng.NextUniform(Math.PI / 5, Math.PI);
        var type = types[Choices(probs, rng.NextDouble())];
        double sigmaX = rng.NextUniform(sigma[0], sigma[1]);
        double sigmaY = rng.NextUniform(sigma[0], sigma[1]);
        double rotation = rng.NextUniform(-Math.PI, Math.PI);
        bool lowerBeta = rng.NextDouble() < 0.5;
        double betaU = rng.NextDouble();
        if (sinc) return new KernelDraw(KernelType.Sinc, size, OmegaC: omega);
        bool isotropic = type is KernelType.Iso or KernelType.GeneralizedIso or KernelType.PlateauIso;
        var betaRange = type is KernelType.PlateauIso or KernelType.PlateauAniso ? betap : betag;
        double beta = type is KernelType.Iso or KernelType.Aniso ? 0
            : lowerBeta ? betaRange[0] + (1 - betaRange[0]) * betaU : 1 + (betaRange[1] - 1) * betaU;
        return isotropic
            ? new KernelDraw(type, size, sigmaX, sigmaX, 0, beta)
            : new KernelDraw(type, size, sigmaX, sigmaY, rotation, beta);
    }

    /// <summary>random_add_{gaussian,poisson}_noise_pt's per-sample draws: sigma in noise_range, scale in
    /// poisson_scale_range, gray with gray_prob; and a seed for the noise tensor.</summary>
    static NoiseDraw DrawNoise(SampleRandom rng, double[] noiseRange, double[] poissonRange, double grayProb)
    {
        double sigma = rng.NextUniform(noiseRange[0], noiseRange[1]);
        double scale = rng.NextUniform(poissonRange[0], poissonRange[1]);
        bool gray = rng.NextDouble() < grayProb;
        return new NoiseDraw(false, sigma, scale, gray, rng.NextUInt64());
    }

    /// <summary>random.choices(['up', 'down', 'keep'], resize_prob); scale np.random.uniform(1, range[1]) up,
    /// np.random.uniform(range[0], 1) down, 1 keep; random.choice(['area', 'bilinear', 'bicubic']).</summary>
    static ResizeDraw DrawResize(SampleRandom rng, double[] prob, double[] range)
    {
        var direction = Directions[Choices(prob, rng.NextDouble())];
        double u = rng.NextDouble();
        var mode = (ResizeMode)rng.NextInt(3);
        double scale = direction switch
        {
            ResizeDirection.Up => 1 + (range[1] - 1) * u,
            ResizeDirection.Down => range[0] + (1 - range[0]) * u,
            _ => 1,
        };
        return new ResizeDraw(direction, scale, mode);
    }

    /// <summary>random.choices(population, weights): the first index whose cumulative weight exceeds u·total
    /// (bisect_right on the running sums).</summary>
    internal static int Choices(double[] weights, double u)
    {
        double total = 0;
        foreach (var w in weights) total += w;
        double x = u * total, cum = 0;
        for (int i = 0; i < weights.Length - 1; i++)
        {
            cum += weights[i];
            if (x < cum) return i;
        }
        return weights.Length - 1;
    }
}
