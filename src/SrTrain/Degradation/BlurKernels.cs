namespace SrTrain.Degradation;

/// <summary>BasicSR's blur kernels (basicsr/data/degradations.py): bivariate Gaussian, generalized Gaussian, plateau,
/// and the circular low-pass (sinc) kernel, computed in double as numpy does.</summary>
internal static class BlurKernels
{
    /// <summary>Every kernel is padded to this size (RealESRGANDataset pads with np.pad, the final sinc with pad_to=21).</summary>
    public const int PaddedSize = 21;

    /// <summary>The kernel of <paramref name="draw"/>, normalised as BasicSR does and zero-padded to 21×21, row-major,
    /// as float32 (torch.FloatTensor of the float64 kernel).</summary>
    public static float[] Make(KernelDraw draw)
    {
        var k = MakeDouble(draw);
        var f = new float[k.Length];
        for (int i = 0; i < k.Length; i++) f[i] = (float)k[i];
        return f;
    }

    /// <summary><see cref="Make"/> before the float32 cast: the float64 kernel numpy holds, padded to 21×21.</summary>
    public static double[] MakeDouble(KernelDraw draw)
    {
        if (draw.Type == KernelType.Pulse)
        {
            var pulse = new double[PaddedSize * PaddedSize];
            pulse[PaddedSize / 2 * PaddedSize + PaddedSize / 2] = 1;
            return pulse;
        }
        int size = draw.Size;
        if (size < 1 || size % 2 == 0 || size > PaddedSize)
            throw new ArgumentOutOfRangeException(nameof(draw), $"kernel size {size} is not odd in 1..{PaddedSize}");
        double[] kernel = draw.Type switch
        {
            KernelType.Sinc => CircularLowpassKernel(draw.OmegaC, size),
            // random_bivariate_* divide by the sum once more after bivariate_* has normalised (noise_range=None).
            _ => Normalise(GaussianFamily(draw)),
        };
        return Pad(kernel, size);
    }

    /// <summary>bivariate_Gaussian / bivariate_generalized_Gaussian / bivariate_plateau (normalised once).</summary>
    static double[] GaussianFamily(KernelDraw d)
    {
        bool isotropic = d.Type is KernelType.Iso or KernelType.GeneralizedIso or KernelType.PlateauIso;
        var (i00, i01, i10, i11) = Inverse(isotropic ? (d.SigmaX * d.SigmaX, 0.0, 0.0, d.SigmaX * d.SigmaX)
                                                     : SigmaMatrix2(d.SigmaX, d.SigmaY, d.Rotation));
        int k = d.Size;
        double origin = -(k - 1) / 2;   // mesh_grid: np.arange(-k // 2 + 1., k // 2 + 1.)
        var kernel = new double[k * k];
        for (int i = 0; i < k; i++)
        {
            double y = origin + i;       // yy varies along rows, xx along columns; grid[..., 0] = xx
            for (int j = 0; j < k; j++)
            {
                double x = origin + j;
                // np.sum(np.dot(grid, inverse_sigma) * grid, 2)
                double q = (x * i00 + y * i10) * x + (x * i01 + y * i11) * y;
                kernel[i * k + j] = d.Type switch
                {
                    KernelType.Iso or KernelType.Aniso => Math.Exp(-0.5 * q),
                    KernelType.GeneralizedIso or KernelType.GeneralizedAniso => Math.Exp(-0.5 * Math.Pow(q, d.Beta)),
                    KernelType.PlateauIso or KernelType.PlateauAniso => 1.0 / (Math.Pow(q, d.Beta) + 1),
                    _ => throw new ArgumentOutOfRangeException(nameof(d), d.Type, null),
                };
            }
        }
        return Normalise(kernel);
    }

    /// <summary>sigma_matrix2: U·(D·Uᵀ) with D = diag(σx², σy²) and U the rotation by θ, in np.dot's order.</summary>
    static (double, double, double, double) SigmaMatrix2(double sigX, double sigY, double theta)
    {
        double c = Math.Cos(theta), s = Math.Sin(theta);
        double dx = sigX * sigX, dy = sigY * sigY;
        // D·Uᵀ with Uᵀ = [[c, s], [−s, c]]
        double m00 = dx * c, m01 = dx * s, m10 = dy * -s, m11 = dy * c;
        // U·M with U = [[c, −s], [s, c]]
        return (c * m00 + -s * m10, c * m01 + -s * m11, s * m00 + c * m10, s * m01 + c * m11);
    }

    /// <summary>np.linalg.inv of a 2×2 matrix the way LAPACK's gesv solves A·X = I: LU with partial pivoting
    /// (the multiplier is the reciprocal of the pivot times the entry, as getrf2 scales), then the two triangular solves.</summary>
    static (double, double, double, double) Inverse((double A00, double A01, double A10, double A11) m)
    {
        double a0 = m.A00, b0 = m.A01, a1 = m.A10, b1 = m.A11;
        // right-hand sides: columns of I, rows swapped with A's
        double e00 = 1, e01 = 0, e10 = 0, e11 = 1;
        if (Math.Abs(a1) > Math.Abs(a0))
        {
            (a0, a1) = (a1, a0); (b0, b1) = (b1, b0);
            (e00, e10) = (e10, e00); (e01, e11) = (e11, e01);
        }
        double l = a1 * (1.0 / a0);
        double u11 = b1 - l * b0;
        // column 0 and column 1 of the inverse: forward (unit L), then back substitution
        double y10 = e10 - e00 * l, y11 = e11 - e01 * l;
        double x10 = y10 / u11, x11 = y11 / u11;
        double x00 = (e00 - x10 * b0) / a0, x01 = (e01 - x11 * b0) / a0;
        return (x00, x01, x10, x11);
    }

    /// <summary>circular_lowpass_kernel(cutoff, kernel_size, pad_to=False): cutoff·J1(cutoff·r)/(2πr), the centre
    /// (0/0 in numpy) set to cutoff²/(4π), normalised.</summary>
    static double[] CircularLowpassKernel(double cutoff, int k)
    {
        var kernel = new double[k * k];
        double c = (k - 1) / 2.0;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
            {
                double dx = i - c, dy = j - c;
                double r = Math.Sqrt(dx * dx + dy * dy);
                kernel[i * k + j] = cutoff * BesselJ1.J1(cutoff * r) / (2 * Math.PI * r);
            }
        kernel[(k - 1) / 2 * k + (k - 1) / 2] = cutoff * cutoff / (4 * Math.PI);
        return Normalise(kernel);
    }

    static double[] Normalise(double[] kernel)
    {
        double sum = NumpySum(kernel);
        for (int i = 0; i < kernel.Length; i++) kernel[i] /= sum;
        return kernel;
    }

    /// <summary>np.sum of a contiguous float64 array: the reduction starts from the first element and adds numpy's
    /// pairwise sum of the rest (blocks of 8 partial sums up to 128 elements, halves above).</summary>
    static double NumpySum(ReadOnlySpan<double> a) => a.Length == 0 ? 0 : a[0] + PairwiseSum(a[1..]);

    static double PairwiseSum(ReadOnlySpan<double> a)
    {
        int n = a.Length;
        if (n < 8)
        {
            double res = 0;
            for (int i = 0; i < n; i++) res += a[i];
            return res;
        }
        if (n <= 128)
        {
            Span<double> r = stackalloc double[8];
            a[..8].CopyTo(r);
            int i;
            for (i = 8; i < n - n % 8; i += 8)
                for (int j = 0; j < 8; j++) r[j] += a[i + j];
            double res = (r[0] + r[1] + (r[2] + r[3])) + (r[4] + r[5] + (r[6] + r[7]));
            for (; i < n; i++) res += a[i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return PairwiseSum(a[..n2]) + PairwiseSum(a[n2..]);
    }

    /// <summary>np.pad with zeros to 21×21, the kernel centred.</summary>
    static double[] Pad(double[] kernel, int k)
    {
        if (k == PaddedSize) return kernel;
        int p = (PaddedSize - k) / 2;
        var padded = new double[PaddedSize * PaddedSize];
        for (int i = 0; i < k; i++)
            Array.Copy(kernel, i * k, padded, (i + p) * PaddedSize + p, k);
        return padded;
    }
}
