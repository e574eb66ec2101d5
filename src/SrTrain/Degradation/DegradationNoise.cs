using static TorchSharp.torch;

namespace SrTrain.Degradation;

/// <summary>The noise stages of Real-ESRGAN's degradation (random_add_gaussian_noise_pt / random_add_poisson_noise_pt
/// with clip=True, rounds=False), with the random tensors a pure function of the draws: each sample's noise comes from
/// its own CPU <see cref="Generator"/> seeded with <see cref="NoiseDraw.NoiseSeed"/> and is moved to the image's
/// device afterwards, so a CPU and a GPU run see the same numbers.
/// <para>Gaussian: randn(1,H,W) (the gray noise) then randn(3,H,W) (the colour noise), both always drawn. BasicSR draws
/// one (H,W) gray noise for the whole batch; here each sample has its own. Poisson: torch.poisson of the sample's
/// rates, called as BasicSR calls it (the gray rates first when any sample of the batch is gray, then the colour
/// rates), both from the sample's generator.</para></summary>
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
        var generators = draws.Select(d => new Generator(d.NoiseSeed)).ToArray();
        try
        {
            return DegradationOps.AddPoissonNoise(img, scale, gray, rates => Poisson(rates, generators));
        }
        finally
        {
            foreach (var g in generators) g.Dispose();
        }
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

    /// <summary>torch.poisson of each sample's rates (B,C,H,W) from that sample's generator, on the CPU, returned on
    /// the rates' device.</summary>
    static Tensor Poisson(Tensor rates, Generator[] generators)
    {
        if (rates.shape[0] != generators.Length)
            throw new ArgumentException($"poisson rates for {rates.shape[0]} samples, {generators.Length} generators");
        using var scope = NewDisposeScope();
        using var cpuRates = rates.cpu();
        var drawn = new Tensor[generators.Length];
        for (int i = 0; i < generators.Length; i++) drawn[i] = poisson(cpuRates[i], generators[i]);
        return stack(drawn).to(rates.device).MoveToOuterDisposeScope();
    }

    static Tensor PerSample(IReadOnlyList<NoiseDraw> draws, Func<NoiseDraw, float> value, Device device) =>
        tensor(draws.Select(value).ToArray(), ScalarType.Float32, device);
}
