using SrTrain.Runtime;
using System.IO.Compression;
using System.Text.Json;
using SrTrain.Config;
using SrTrain.Degradation;
using Xunit.Abstractions;

namespace SrTrain.Tests.Degradation;

/// <summary>RealEsrganSampler against 10⁵ draws of BasicSR / Real-ESRGAN's own drawing code with the x4plus options
/// (TestData/Degradation/draws.*, made by scripts/reference/make_realesrgan_draws.py): a two-sample KS test per
/// continuous parameter and a chi-square homogeneity test per discrete one, each conditioned as the reference is
/// (sigma_y only for anisotropic kernels, omega_c by kernel size, noise sigma only in Gaussian batches, …), p &gt; 0.01;
/// plus 2·10⁴ draws with use_rot on for augment's vflip / rot90 and the crop of the transposed image.</summary>
public class RealEsrganSamplerTests(ITestOutputHelper output)
{
    const double Alpha = 0.01;
    static readonly string[] TypeNames = { "iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso", "sinc" };

    static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "Degradation", name);

    sealed record Reference(int N, int ImageH, int ImageW, int LqH, int LqW, int LqPatch,
        Dictionary<string, Dictionary<string, long>> Discrete, Dictionary<string, (double Lo, double Hi, double[] Q)> Continuous);

    static readonly Lazy<Reference> Ref = new(LoadReference);

    static Reference LoadReference()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Data("draws.json")));
        var r = doc.RootElement;
        var discrete = new Dictionary<string, Dictionary<string, long>>();
        foreach (var p in r.GetProperty("discrete").EnumerateObject())
            discrete[p.Name] = p.Value.EnumerateObject().ToDictionary(c => c.Name, c => c.Value.GetInt64());
        using var gz = new GZipStream(File.OpenRead(Data("draws.u16.gz")), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        var raw = ms.ToArray();
        var continuous = new Dictionary<string, (double, double, double[])>();
        int offset = 0;
        foreach (var c in r.GetProperty("continuous").EnumerateArray())
        {
            int n = c.GetProperty("n").GetInt32();
            var q = new double[n];
            for (int i = 0; i < n; i++) q[i] = BitConverter.ToUInt16(raw, 2 * (offset + i));
            offset += n;
            continuous[c.GetProperty("name").GetString()!] = (c.GetProperty("lo").GetDouble(), c.GetProperty("hi").GetDouble(), q);
        }
        Assert.Equal(raw.Length, 2 * offset);
        var img = r.GetProperty("image");
        var lq = r.GetProperty("lq");
        return new Reference(r.GetProperty("n").GetInt32(), img[0].GetInt32(), img[1].GetInt32(), lq[0].GetInt32(),
            lq[1].GetInt32(), r.GetProperty("lq_patch").GetInt32(), discrete, continuous);
    }

    /// <summary>The same parameters, named and conditioned as make_realesrgan_draws.py names them, from SrTrain's sampler.</summary>
    sealed class Collected
    {
        public readonly Dictionary<string, Dictionary<string, long>> Discrete = new();
        public readonly Dictionary<string, List<double>> Continuous = new();
        public void Count(string name, object category)
        {
            var d = Discrete.TryGetValue(name, out var x) ? x : Discrete[name] = new();
            var key = category is bool b ? (b ? "1" : "0") : category.ToString()!;
            d[key] = d.GetValueOrDefault(key) + 1;
        }
        public void Put(string name, double v) => (Continuous.TryGetValue(name, out var l) ? l : Continuous[name] = new()).Add(v);
    }

    static string Name(ResizeMode m) => m.ToString().ToLowerInvariant();

    static Collected Sample(RealEsrganDegradationConfig config, int n, long seed)
    {
        var r = Ref.Value;
        var sampler = new RealEsrganSampler(config, useHflip: true, useRot: false);
        var c = new Collected();
        for (int i = 0; i < n; i++)
        {
            var batch = sampler.DrawBatch(RealEsrganSampler.BatchStream(seed, i), r.LqH, r.LqW, r.LqPatch);
            var s = sampler.DrawSample(SampleRandom.For(seed, i, 0), r.ImageH, r.ImageW, batch);
            c.Count("hflip", s.HFlip);
            c.Count("crop_top", s.CropTop);
            c.Count("crop_left", s.CropLeft);
            Kernel(c, "k1", s.Kernel1);
            Kernel(c, "k2", s.Kernel2);
            c.Count("final.sinc", s.FinalSinc.Type == KernelType.Sinc);
            if (s.FinalSinc.Type == KernelType.Sinc)
            {
                c.Count("final.size", s.FinalSinc.Size);
                c.Put("final.omega", s.FinalSinc.OmegaC);
            }
            foreach (var (stage, resize) in new[] { (1, batch.Resize1), (2, batch.Resize2) })
            {
                c.Count($"resize{stage}.direction", resize.Direction.ToString().ToLowerInvariant());
                c.Count($"resize{stage}.mode", Name(resize.Mode));
                if (resize.Direction == ResizeDirection.Up) c.Put($"resize{stage}.up_scale", resize.Scale);
                if (resize.Direction == ResizeDirection.Down) c.Put($"resize{stage}.down_scale", resize.Scale);
            }
            foreach (var (stage, noise, jpeg) in new[] { (1, s.Noise1, s.Jpeg1), (2, s.Noise2, s.Jpeg2) })
            {
                c.Count($"gaussian{stage}", noise.Gaussian);
                c.Count($"noise{stage}.gray", noise.Gray);
                if (noise.Gaussian) c.Put($"noise{stage}.sigma", noise.Sigma);
                else c.Put($"noise{stage}.poisson_scale", noise.PoissonScale);
                c.Put($"jpeg{stage}", jpeg);
            }
            Assert.Equal(batch.Gaussian1, s.Noise1.Gaussian);
            c.Count("second_blur", batch.SecondBlur);
            c.Count("final_mode", Name(batch.FinalMode));
            c.Count("resize_back_first", batch.ResizeBackFirst);
            c.Count("lq_crop_top", batch.LqCropTop);
            c.Count("lq_crop_left", batch.LqCropLeft);
        }
        // use_rot: True — augment's vflip / rot90 and the crop of the transposed image
        var rotating = new RealEsrganSampler(config, useHflip: true, useRot: true);
        long rotRuns = r.Discrete["rot.augment"].Values.Sum();
        for (int i = 0; i < rotRuns; i++)
        {
            var s = rotating.DrawSample(SampleRandom.For(seed, i, 1), r.ImageH, r.ImageW);
            int rot = s.Rot90 ? 1 : 0;
            c.Count("rot.augment", $"{(s.HFlip ? 1 : 0)}{(s.VFlip ? 1 : 0)}{rot}");
            c.Count("rot.crop_top", $"{rot}:{s.CropTop}");
            c.Count("rot.crop_left", $"{rot}:{s.CropLeft}");
        }
        return c;
    }

    static void Kernel(Collected c, string prefix, KernelDraw k)
    {
        c.Count(prefix + ".type", TypeNames[(int)k.Type]);
        c.Count(prefix + ".size", k.Size);
        if (k.Type == KernelType.Sinc)
        {
            c.Put(prefix + (k.Size < 13 ? ".omega_small" : ".omega_large"), k.OmegaC);
            return;
        }
        c.Put(prefix + ".sigma_x", k.SigmaX);
        if (k.Type is KernelType.Aniso or KernelType.GeneralizedAniso or KernelType.PlateauAniso)
        {
            c.Put(prefix + ".sigma_y", k.SigmaY);
            c.Put(prefix + ".rotation", k.Rotation);
        }
        if (k.Type is KernelType.GeneralizedIso or KernelType.GeneralizedAniso) c.Put(prefix + ".beta_g", k.Beta);
        if (k.Type is KernelType.PlateauIso or KernelType.PlateauAniso) c.Put(prefix + ".beta_p", k.Beta);
    }

    /// <summary>Every parameter's p-value: KS on values quantised as the reference is (65536 steps over the range),
    /// chi-square on counts over the union of categories.</summary>
    static Dictionary<string, double> PValues(Collected c)
    {
        var r = Ref.Value;
        var p = new Dictionary<string, double>();
        foreach (var (name, (lo, hi, q)) in r.Continuous)
        {
            var ours = c.Continuous.TryGetValue(name, out var l) ? l : new List<double>();
            Assert.True(ours.Count > 0, $"{name}: SrTrain drew no values");
            var oq = ours.Select(v => Math.Round((v - lo) / (hi - lo) * 65535)).ToArray();
            p[name] = TwoSampleTests.KsTest(q, oq);
        }
        foreach (var (name, counts) in r.Discrete)
        {
            var ours = c.Discrete.TryGetValue(name, out var d) ? d : new Dictionary<string, long>();
            var cats = counts.Keys.Union(ours.Keys).OrderBy(k => k, StringComparer.Ordinal).ToArray();
            p[name] = TwoSampleTests.ChiSquareHomogeneity(
                cats.Select(k => counts.GetValueOrDefault(k)).ToArray(), cats.Select(k => ours.GetValueOrDefault(k)).ToArray());
        }
        Assert.Empty(c.Continuous.Keys.Except(r.Continuous.Keys));
        Assert.Empty(c.Discrete.Keys.Except(r.Discrete.Keys));
        return p;
    }

    [Fact]
    public void Draws_follow_BasicSRs_distributions()
    {
        var r = Ref.Value;
        Assert.Equal(100_000, r.N);
        var p = PValues(Sample(new RealEsrganDegradationConfig(), r.N, seed: 0));
        Assert.True(p.Count >= 40, $"only {p.Count} parameters compared");
        output.WriteLine(string.Join("\n", p.OrderBy(kv => kv.Value).Select(kv => $"{kv.Key}: p = {kv.Value:F4}")));
        var failed = p.Where(kv => !(kv.Value > Alpha)).Select(kv => $"{kv.Key}: p = {kv.Value:G3}").ToArray();
        Assert.True(failed.Length == 0, "differs from BasicSR: " + string.Join("; ", failed) +
            "\nall: " + string.Join(", ", p.OrderBy(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value:F3}")));
    }

    [Fact]
    public void The_test_sees_a_slightly_wrong_distribution()
    {
        var wrong = new RealEsrganDegradationConfig
        {
            BlurSigma = new[] { 0.2, 3.1 },                               // sigma range 3 % too wide
            KernelProb2 = new[] { 0.42, 0.28, 0.12, 0.03, 0.12, 0.03 },   // iso/aniso odds moved by 0.03
            JpegRange2 = new[] { 30.0, 96.0 },
        };
        var p = PValues(Sample(wrong, Ref.Value.N, seed: 0));
        Assert.True(p["k1.sigma_x"] < Alpha, $"k1.sigma_x p = {p["k1.sigma_x"]}");
        Assert.True(p["k2.type"] < Alpha, $"k2.type p = {p["k2.type"]}");
        Assert.True(p["jpeg2"] < Alpha, $"jpeg2 p = {p["jpeg2"]}");
        Assert.True(p["jpeg1"] > Alpha);
    }

    [Fact]
    public void Every_value_is_drawn_whether_or_not_it_is_used()
    {
        var always = new RealEsrganSampler(new RealEsrganDegradationConfig { SincProb = 1, SincProb2 = 1, FinalSincProb = 1, GaussianNoiseProb = 1, GaussianNoiseProb2 = 1 }, true, true);
        var never = new RealEsrganSampler(new RealEsrganDegradationConfig { SincProb = 0, SincProb2 = 0, FinalSincProb = 0, GaussianNoiseProb = 0, GaussianNoiseProb2 = 0 }, false, false);
        for (int i = 0; i < 200; i++)
        {
            var a = always.DrawSample(SampleRandom.For(7, i, 0), 500, 600);
            var b = never.DrawSample(SampleRandom.For(7, i, 0), 500, 600);
            Assert.Equal(KernelType.Sinc, a.Kernel1.Type);
            Assert.NotEqual(KernelType.Sinc, b.Kernel1.Type);
            Assert.Equal(a.Kernel1.Size, b.Kernel1.Size);
            Assert.Equal(a.Kernel2.Size, b.Kernel2.Size);
            Assert.Equal(a.Noise1, b.Noise1);
            Assert.Equal(a.Jpeg2, b.Jpeg2);
            Assert.False(b.HFlip || b.VFlip || b.Rot90);
            if (!a.Rot90) Assert.Equal((a.CropTop, a.CropLeft), (b.CropTop, b.CropLeft));
            var ba = always.DrawBatch(RealEsrganSampler.BatchStream(7, i), 100, 100, 64);
            var bb = never.DrawBatch(RealEsrganSampler.BatchStream(7, i), 100, 100, 64);
            Assert.True(ba.Gaussian1 && ba.Gaussian2 && !bb.Gaussian1 && !bb.Gaussian2);
            Assert.Equal(ba with { Gaussian1 = false, Gaussian2 = false }, bb);
        }
    }

    [Fact]
    public void Crop_is_within_the_padded_augmented_image()
    {
        var sampler = new RealEsrganSampler(new RealEsrganDegradationConfig(), useHflip: true, useRot: true);
        int rotated = 0;
        for (int i = 0; i < 2000; i++)
        {
            var s = sampler.DrawSample(SampleRandom.For(3, i, 5), 300, 450);   // pad 300 → 400, crop 450 → 400
            int h = s.Rot90 ? 450 : 300, w = s.Rot90 ? 300 : 450;
            Assert.InRange(s.CropTop, 0, Math.Max(h, 400) - 400);
            Assert.InRange(s.CropLeft, 0, Math.Max(w, 400) - 400);
            if (s.Rot90) { rotated++; Assert.Equal(0, s.CropLeft); }
            else Assert.Equal(0, s.CropTop);
        }
        Assert.InRange(rotated, 850, 1150);
        Assert.NotEqual(RealEsrganSampler.BatchStreamIndex, -1);
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.2499, 0)]
    [InlineData(0.25, 1)]     // bisect_right: a value equal to a cumulative weight goes to the next category
    [InlineData(0.7499, 1)]
    [InlineData(0.75, 2)]
    [InlineData(0.99999, 2)]
    public void Choices_is_random_choices(double u, int expected) =>
        Assert.Equal(expected, RealEsrganSampler.Choices(new[] { 0.25, 0.5, 0.25 }, u));

    [Fact]
    public void Choices_sums_the_weights_as_python_does()
    {
        // 0.2 + 0.7 + 0.1 = 0.9999999999999999 in doubles, so random() = 0.2 gives 0.19999999999999998 < 0.2:
        // random.choices(['up', 'down', 'keep'], [0.2, 0.7, 0.1]) with random() == 0.2 returns 'up' (index 0)
        Assert.Equal(0, RealEsrganSampler.Choices(new[] { 0.2, 0.7, 0.1 }, 0.2));
    }

    [Fact]
    public void Statistics_match_scipy()
    {
        // scipy.stats.chi2.sf and kstwobign.sf (scipy 1.10)
        Assert.Equal(0.05004352124870519, TwoSampleTests.ChiSquareSurvival(3.84, 1), 1e-10);
        Assert.Equal(0.029252688076961124, TwoSampleTests.ChiSquareSurvival(20, 10), 1e-10);
        Assert.Equal(0.6599632296942824, TwoSampleTests.ChiSquareSurvival(5, 7), 1e-10);
        Assert.Equal(0.064570368921133, TwoSampleTests.ChiSquareSurvival(100, 80), 1e-10);
        Assert.Equal(0.7788007830714049, TwoSampleTests.ChiSquareSurvival(0.5, 2), 1e-10);
        Assert.Equal(0.9639452436648751, TwoSampleTests.KolmogorovQ(0.5), 1e-10);
        Assert.Equal(0.26999967167735456, TwoSampleTests.KolmogorovQ(1.0), 1e-10);
        Assert.Equal(0.049485876755377876, TwoSampleTests.KolmogorovQ(1.36), 1e-10);
        Assert.Equal(0.0006709252557796953, TwoSampleTests.KolmogorovQ(2.0), 1e-12);
        Assert.Equal(0.5, TwoSampleTests.KsStatistic(new double[] { 1, 2, 3, 4 }, new double[] { 3, 4, 5, 6 }));
        Assert.Equal(0, TwoSampleTests.KsStatistic(new double[] { 1, 1, 2 }, new double[] { 2, 1, 1 }));
    }
}
