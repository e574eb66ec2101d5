using System.Globalization;
using System.IO.Compression;
using SrTrain.Degradation;
using Xunit.Abstractions;

namespace SrTrain.Tests.Degradation;

/// <summary>BlurKernels against BasicSR's own degradations.py (TestData/Degradation, made by
/// scripts/reference/make_realesrgan_kernels.py): every kernel type, every size 7..21, both blur ranges of x4plus, the
/// final sinc with pad_to=21, and the edges of the ranges; BesselJ1 against scipy.special.j1.</summary>
public class BlurKernelTests(ITestOutputHelper output)
{
    static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "Degradation", name);

    static readonly Dictionary<string, KernelType> Types = new()
    {
        ["iso"] = KernelType.Iso, ["aniso"] = KernelType.Aniso,
        ["generalized_iso"] = KernelType.GeneralizedIso, ["generalized_aniso"] = KernelType.GeneralizedAniso,
        ["plateau_iso"] = KernelType.PlateauIso, ["plateau_aniso"] = KernelType.PlateauAniso, ["sinc"] = KernelType.Sinc,
    };

    internal static (KernelDraw Draw, double[] Kernel)[] Fixture()
    {
        var lines = File.ReadAllLines(Data("kernels.csv")).Skip(1).ToArray();
        using var gz = new GZipStream(File.OpenRead(Data("kernels.f64.gz")), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        var all = new double[ms.Length / 8];
        Buffer.BlockCopy(ms.ToArray(), 0, all, 0, (int)ms.Length);
        Assert.Equal(lines.Length * 441, all.Length);
        return lines.Select((line, n) =>
        {
            var f = line.Split(',');
            double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
            var draw = new KernelDraw(Types[f[0]], int.Parse(f[1], CultureInfo.InvariantCulture), D(2), D(3), D(4), D(5), D(6));
            return (draw, all.AsSpan(n * 441, 441).ToArray());
        }).ToArray();
    }

    [Fact]
    public void Fixture_covers_every_type_and_size()
    {
        var fx = Fixture();
        foreach (var t in Types.Values)
            for (int size = 7; size <= 21; size += 2)
                Assert.Contains(fx, k => k.Draw.Type == t && k.Draw.Size == size);
    }

    [Fact]
    public void Kernels_match_BasicSR_float32_within_1e7()
    {
        double worst = 0;
        foreach (var (draw, expected) in Fixture())
        {
            var got = BlurKernels.Make(draw);
            Assert.Equal(441, got.Length);
            for (int i = 0; i < 441; i++)
            {
                double err = Math.Abs(got[i] - (double)(float)expected[i]);
                worst = Math.Max(worst, err);
                Assert.True(err <= 1e-7, $"{draw} [{i / 21},{i % 21}]: {got[i]} vs {expected[i]}");
            }
        }
        output.WriteLine($"worst float32 difference {worst:G3}");
    }

    [Fact]
    public void Kernels_match_BasicSR_in_double_within_1e15_abs_or_1e13_rel()
    {
        double worstAbs = 0, worstRel = 0;
        int exact = 0;
        foreach (var (draw, expected) in Fixture())
        {
            var got = BlurKernels.MakeDouble(draw);
            for (int i = 0; i < 441; i++)
            {
                double err = Math.Abs(got[i] - expected[i]);
                worstAbs = Math.Max(worstAbs, err);
                if (expected[i] != 0) worstRel = Math.Max(worstRel, err / Math.Abs(expected[i]));
                if (err == 0) exact++;
                Assert.True(Math.Abs(got[i] - expected[i]) <= 1e-15 + 1e-13 * Math.Abs(expected[i]),
                    $"{draw} [{i / 21},{i % 21}]: {got[i]:R} vs {expected[i]:R}");
            }
        }
        output.WriteLine($"worst abs {worstAbs:G3}, worst rel {worstRel:G3}, bit-identical {exact} of {Fixture().Length * 441}");
    }

    [Fact]
    public void Pulse_is_one_at_the_centre()
    {
        var k = BlurKernels.Make(KernelDraw.Pulse);
        Assert.Equal(1f, k[10 * 21 + 10]);
        Assert.Equal(1f, k.Sum());
    }

    [Fact]
    public void BesselJ1_matches_scipy_on_0_to_50()
    {
        var bytes = File.ReadAllBytes(Data("bessel_j1.f64"));
        var v = new double[bytes.Length / 8];
        Buffer.BlockCopy(bytes, 0, v, 0, bytes.Length);
        Assert.Equal(5001 * 2, v.Length);
        int exact = 0;
        double worst = 0;
        for (int i = 0; i < v.Length; i += 2)
        {
            double x = v[i], expected = v[i + 1], got = BesselJ1.J1(x);
            double err = Math.Abs(got - expected);
            if (err == 0) exact++;
            worst = Math.Max(worst, err);
            Assert.True(err <= 1e-14 || err <= 1e-12 * Math.Abs(expected), $"J1({x:R}) = {got:R}, scipy {expected:R}");
        }
        output.WriteLine($"J1: worst abs {worst:G3}, bit-identical {exact} of {v.Length / 2}");
        Assert.Equal(-BesselJ1.J1(2.5), BesselJ1.J1(-2.5));
    }
}
