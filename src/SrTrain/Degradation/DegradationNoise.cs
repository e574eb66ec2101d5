using static TorchSharp.torch;

namespace SrTrain.Degradation;

/// <summary>The noise stages of Real-ESRGAN's degradation (random_add_gaussian_noise_pt / random_add_poisson_noise_pt
/// with clip=True, rounds=False), with the random tensors a pure function of the draws: each sample's noise comes from
/// its own CPU <see cref="Generator"/> seeded with <see cref="NoiseDraw.NoiseSeed"/> and is moved to the image's
/// device afterwards, so a CPU and a GPU run see the same numbers.
/// <para>Gaussian: randn(1,H,W) (the gray noise) then randn(3,H,W) (the colour noise), both always drawn. BasicSR draws
/// one (H,W) gray noise for the whole batch; here each sample has its own. Poisson: rand(1,H,W) then rand(3,H,W) in
/// float64, both always drawn, and each count the inverse CDF of its element's uniform (the gray rates take the first
/// uniforms, the colour rates the second). Not torch.poisson: it draws a variable number of uniforms per element, so
/// one rate that rounds differently upstream (round(x·255) of an x that differs by 1e-7 between builds, or between
/// CPU and GPU) would shift all later noise of the sample; here such a flip stays in its pixel. The counts keep
/// Poisson's distribution.</para></summary>
internal static class DegradationNoise
{
    /// <summary>The noise stage for <paramref name="img"/> (B,3,H,W) in [0,1]: Gaussian or Poisson as
    /// <paramref name="gaussian"/> says (one choice per batch), sigma/scale/gray per sample. Returns the clamped image.</summary>
    public static Tensor Add(Tensor img, bool gaussian, IReadOnlyList<NoiseDraw> draws)
    {
        long b = img.shape[0];
        if (draws.Count != b) throw new ArgumentException($"{draws.Count} noise draws for a batch of {b}", nameof(draws));
        using var gray = PerSample(draws, d => d.Gray ? 1f : 0f, img.device);
        if (gaussian)
        {
            using var sigma = PerSample(draws, d => (float)d.Sigma, img.device);
            var (noise, noiseGray) = GaussianNoise(draws, img.shape[2], img.shape[3], img.device);
            using (noise)
            using (noiseGray)
                return DegradationOps.AddGaussianNoise(img, sigma, gray, noise, noiseGray);
        }
        using var scale = PerSample(draws, d => (float)d.PoissonScale, img.device);
        var uniforms = new (double[] Gray, double[] Colour)[draws.Count];
        bool drawn = false;
        return DegradationOps.AddPoissonNoise(img, scale, gray, rates =>
        {
            if (!drawn)
            {
                for (int i = 0; i < draws.Count; i++) uniforms[i] = PoissonUniforms(draws[i].NoiseSeed, rates.shape[2], rates.shape[3]);
                drawn = true;
            }
            return Poisson(rates, uniforms);
        });
    }

    /// <summary>One sample's uniforms of a Poisson stage: rand(1,H,W) (gray) then rand(3,H,W) (colour), float64, from
    /// a CPU generator seeded with <paramref name="seed"/>.</summary>
    public static (double[] Gray, double[] Colour) PoissonUniforms(ulong seed, long height, long width)
    {
        using var g = new Generator(seed);
        using var grayU = rand(new long[] { 1, height, width }, ScalarType.Float64, CPU, generator: g);
        using var colourU = rand(new long[] { 3, height, width }, ScalarType.Float64, CPU, generator: g);
        return (grayU.data<double>().ToArray(), colourU.data<double>().ToArray());
    }

    /// <summary>Poisson counts of <paramref name="rates"/> by the inverse CDF of one uniform per element: the first k
    /// with u &lt; P(X ≤ k) (<see cref="PoissonCdf"/>), the same tables for equal rates.</summary>
    public static void SamplePoisson(ReadOnlySpan<float> rates, ReadOnlySpan<double> uniforms, Span<float> counts,
        Dictionary<float, double[]> tables)
    {
        if (uniforms.Length != rates.Length || counts.Length != rates.Length)
            throw new ArgumentException($"{rates.Length} rates, {uniforms.Length} uniforms, {counts.Length} counts");
        for (int i = 0; i < rates.Length; i++)
        {
            if (!tables.TryGetValue(rates[i], out var cdf)) tables[rates[i]] = cdf = PoissonCdf(rates[i]);
            counts[i] = FirstAbove(cdf, uniforms[i]);
        }
    }

    /// <summary>P(X ≤ k) for k = 0..K, K = ceil(λ + 10√λ + 20) (the tail beyond is below 1e-20), the probabilities
    /// summed in double from k = 0, pmf(k) = pmf(k−1)·λ/k (make_realesrgan_fixture.py's poisson_cdf, operation for
    /// operation).</summary>
    public static double[] PoissonCdf(double lambda)
    {
        if (!(lambda >= 0) || double.IsInfinity(lambda))
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "a Poisson rate must be finite and not negative");
        int top = (int)Math.Ceiling(lambda + 10 * Math.Sqrt(lambda) + 20);
        var cdf = new double[top + 1];
        double pmf = Math.Exp(-lambda), total = 0;
        for (int k = 0; k <= top; k++)
        {
            if (k > 0) pmf = pmf * lambda / k;
            total += pmf;
            cdf[k] = total;
        }
        return cdf;
    }

    /// <summary>The first k with u &lt; cdf[k], the last index when there is none (numpy's searchsorted side='right',
    /// capped).</summary>
    static int FirstAbove(double[] cdf, double u)
    {
        int lo = 0, hi = cdf.Length - 1;
        if (!(u < cdf[hi])) return hi;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (u < cdf[mid]) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    /// <summary>The standard normal tensors of one Gaussian noise stage: colour (B,3,H,W) and gray (B,1,H,W), on
    /// <paramref name="device"/>.</summary>
    public static (Tensor Noise, Tensor NoiseGray) GaussianNoise(IReadOnlyList<NoiseDraw> draws, long height,
        long width, Device device)
    {
        using var scope = NewDisposeScope();
        var grays = new Tensor[draws.Count];
        var colours = new Tensor[draws.Count];
        for (int i = 0; i < draws.Count; i++)
        {
            using var g = new Generator(draws[i].NoiseSeed);
            grays[i] = randn(new long[] { 1, height, width }, ScalarType.Float32, CPU, generator: g);
            colours[i] = randn(new long[] { 3, height, width }, ScalarType.Float32, CPU, generator: g);
        }
        var noise = stack(colours).to(device);
        var noiseGray = stack(grays).to(device);
        return (noise.MoveToOuterDisposeScope(), noiseGray.MoveToOuterDisposeScope());
    }

    /// <summary>The counts of each sample's rates (B,1,H,W) or (B,3,H,W), from that sample's gray or colour uniforms, on
    /// the CPU; returned on the rates' device.</summary>
    static Tensor Poisson(Tensor rates, (double[] Gray, double[] Colour)[] uniforms)
    {
        long b = rates.shape[0], c = rates.shape[1];
        if (b != uniforms.Length || (c != 1 && c != 3))
            throw new ArgumentException($"Poisson rates ({string.Join(",", rates.shape)}) for {uniforms.Length} samples");
        using var scope = NewDisposeScope();
        var values = rates.to(ScalarType.Float32, CPU).contiguous().data<float>().ToArray();
        var counts = new float[values.Length];
        int n = values.Length / (int)b;
        var tables = new Dictionary<float, double[]>();
        for (int i = 0; i < b; i++)
            SamplePoisson(values.AsSpan(i * n, n), c == 1 ? uniforms[i].Gray : uniforms[i].Colour, counts.AsSpan(i * n, n), tables);
        return tensor(counts, rates.shape, ScalarType.Float32, CPU).to(rates.device).MoveToOuterDisposeScope();
    }

    static Tensor PerSample(IReadOnlyList<NoiseDraw> draws, Func<NoiseDraw, float> value, Device device) =>
        tensor(draws.Select(value).ToArray(), ScalarType.Float32, device);
}
