using System.Text.Json;
using SrTrain.Losses;
using SrTrain.Models;
using SrTrain.Runtime;
using SrTrain.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Tests.Losses;

/// <summary>VggFeatures and PerceptualLoss against BasicSR's own VGGFeatureExtractor and PerceptualLoss run in PyTorch
/// 1.13 (TestData/Losses/perceptual_ref.*, made by scripts/reference/make_perceptual_reference.py), on 64×64 crops of
/// two photos (x: their bicubic x4 upscales, gt: the originals), with VGG weights made by a formula on both sides
/// (<see cref="VggWeightFiles"/>) and loaded through torchvision's file layout, as a downloaded file is.</summary>
public class PerceptualReferenceTests
{
    static PerceptualReferenceTests() => NativeRuntime.EnsureLoaded();

    /// <summary>Features and losses: float32 through up to 16 convs, in libtorch 2.10 here and PyTorch 1.13 there.</summary>
    const double Rtol = 1e-5;

    /// <summary>The float32 input gradient: d/dx of an L1 loss or a ReLU jumps where a feature difference or a
    /// pre-activation is within rounding of 0, and such elements flip between any two builds (PyTorch's own float32 and
    /// float64 gradients differ by up to 4% of the RMS at single elements), so only its norm is compared in float32
    /// (measured here: up to 2e-4 apart, in the l2 case; PyTorch's float32 norm is within 3e-5 of its float64 one);
    /// element by element it is compared in float64, where nothing is that close to 0.</summary>
    const double GradNormRtol = 1e-3;

    /// <summary>The float64 input gradient, network and loss in float64 on both sides.</summary>
    const double Float64Rtol = 1e-7;

    static string DataPath(string file) => Path.Combine(AppContext.BaseDirectory, "TestData", "Losses", file);

    static readonly Lazy<JsonElement> Reference = new(() =>
        JsonDocument.Parse(System.IO.File.ReadAllText(DataPath("perceptual_ref.json"))).RootElement);

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Reference.Value.GetProperty("cases").EnumerateArray())
            data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    static JsonElement Case(string name) =>
        Reference.Value.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    static Tensor Image(string file, bool minusOneToOne, ScalarType dtype = ScalarType.Float32)
    {
        var bytes = System.IO.File.ReadAllBytes(DataPath(file));
        var t = tensor(bytes).view(2, 3, 64, 64).to(dtype).div(Scalars.Byte);
        // As the script: x * 2 - 1 in the same dtype.
        return minusOneToOne ? t.mul(Scalars.Two).sub(Scalars.One) : t;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FeaturesLossesAndInputGradient_MatchBasicSR(string name)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var c = Case(name);
        var vggType = c.GetProperty("vgg_type").GetString()!;
        var layerWeights = c.GetProperty("layer_weights").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        bool minusOne = c.GetProperty("input_range").GetString() == "-1,1";
        var file = VggWeightFiles.WriteRandom(dir.File($"{vggType}.pth"), vggType, Reference.Value.GetProperty("seed").GetInt32());

        using var vgg = NetworkFactory.LoadVgg(file, vggType, layerWeights.Keys,
            c.GetProperty("use_input_norm").GetBoolean(), c.GetProperty("range_norm").GetBoolean());
        var loss = new PerceptualLoss(x => vgg.call(x), layerWeights, c.GetProperty("perceptual_weight").GetDouble(),
            c.GetProperty("style_weight").GetDouble(), c.GetProperty("criterion").GetString()!);

        var x = Image("perceptual_ref.x.u8", minusOne).requires_grad_(true);
        var gt = Image("perceptual_ref.gt.u8", minusOne);
        using (no_grad())
        {
            var features = vgg.call(x);
            Assert.Equal(layerWeights.Keys.OrderBy(k => k), features.Keys.OrderBy(k => k));
            foreach (var layer in c.GetProperty("features").EnumerateObject())
                AssertMatches($"{name} {layer.Name}", layer.Value, features[layer.Name], Rtol);
        }

        var (percep, style) = loss.Forward(x, gt);
        AssertScalar($"{name} percep", c.GetProperty("percep"), percep);
        AssertScalar($"{name} style", c.GetProperty("style"), style);
        new[] { percep, style }.OfType<Tensor>().Aggregate(TensorOps.Add).backward();
        var grad32 = x.grad!;

        vgg.to(ScalarType.Float64);
        var x64 = Image("perceptual_ref.x.u8", minusOne, ScalarType.Float64).requires_grad_(true);
        var gt64 = Image("perceptual_ref.gt.u8", minusOne, ScalarType.Float64);
        var (percep64, style64) = loss.Forward(x64, gt64);
        new[] { percep64, style64 }.OfType<Tensor>().Aggregate(TensorOps.Add).backward();
        AssertMatches($"{name} grad x (float64)", c.GetProperty("grad_x_f64"), x64.grad!, Float64Rtol);
        AssertNorm($"{name} grad x", c.GetProperty("grad_x"), grad32, GradNormRtol);
    }

    static void AssertScalar(string what, JsonElement expected, Tensor? actual)
    {
        if (expected.ValueKind == JsonValueKind.Null)
        {
            Assert.Null(actual);
            return;
        }
        Assert.NotNull(actual);
        double e = expected.GetDouble(), a = actual!.item<float>();
        Assert.True(Math.Abs(a - e) <= Rtol * Math.Abs(e), $"{what}: {a} vs BasicSR's {e}");
    }

    /// <summary>Shape and L2 norm of the reference summary; returns the tensor flattened, in float64.</summary>
    static Tensor AssertNorm(string what, JsonElement expected, Tensor actual, double rtol)
    {
        Assert.Equal(expected.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64()), actual.shape);
        var flat = actual.detach().contiguous().reshape(-1).to(ScalarType.Float64);
        double norm = expected.GetProperty("norm").GetDouble();
        double aNorm = flat.norm().item<double>();
        Assert.True(Math.Abs(aNorm - norm) <= rtol * norm, $"{what}: norm {aNorm} vs BasicSR's {norm}");
        return flat;
    }

    /// <summary>Shape, sum, L2 norm and the sampled values (flat indices j·stride mod numel) of the reference summary;
    /// values to rtol of the tensor's RMS plus their size (a bound relative to each value alone would fail on near-zero ones).</summary>
    static void AssertMatches(string what, JsonElement expected, Tensor actual, double rtol)
    {
        var flat = AssertNorm(what, expected, actual, rtol);
        long n = flat.shape[0];
        double rms = expected.GetProperty("norm").GetDouble() / Math.Sqrt(n);
        double sum = expected.GetProperty("sum").GetDouble();
        double aSum = flat.sum().item<double>();
        Assert.True(Math.Abs(aSum - sum) <= rtol * flat.abs().sum().item<double>(), $"{what}: sum {aSum} vs BasicSR's {sum}");
        long stride = Reference.Value.GetProperty("stride").GetInt64();
        var samples = expected.GetProperty("samples").EnumerateArray().Select(s => s.GetDouble()).ToArray();
        var values = flat.data<double>().ToArray();
        for (int j = 0; j < samples.Length; j++)
        {
            double a = values[j * stride % n];
            Assert.True(Math.Abs(a - samples[j]) <= rtol * (rms + Math.Abs(samples[j])),
                $"{what}: value {j * stride % n} is {a}, BasicSR's {samples[j]} (RMS {rms})");
        }
    }
}
