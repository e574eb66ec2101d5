using System.Collections;
using System.Reflection;
using SrTrain.Models;
using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Tests.Models;

/// <summary>Device placement without a GPU. Moving a module to the "meta" device (shape-only tensors) must move every
/// tensor it holds, registered or not, exactly as a move to CUDA must; a constant left on the CPU is what crashed the
/// perceptual loss on CUDA ("Expected all tensors to be on the same device", VggFeatures' mean/std). The parts with
/// meta kernels then run on meta inputs (libtorch 2.10 has none for conv2d, so whole forwards cannot).</summary>
public class MetaDeviceTests
{
    public MetaDeviceTests() => NativeRuntime.EnsureLoaded();

    public static TheoryData<string> Modules => new()
    {
        "RRDBNet", "RRDBNet-x2", "MSRResNet", "SRVGGNetCompact", "VGGStyleDiscriminator", "UNetDiscriminatorSN", "VggFeatures",
        "SpectralNormConv2d", "BatchNorm2d", "PRelu", "LeakyRelu",
    };

    static nn.Module Create(string name) => name switch
    {
        "RRDBNet" => new RrdbNet(3, 3, 4, 8, 1, 4),
        "RRDBNet-x2" => new RrdbNet(3, 3, 2, 8, 1, 4),
        "MSRResNet" => new MsrResNet(3, 3, 8, 2, 4),
        "SRVGGNetCompact" => new SrVggNetCompact(3, 3, 8, 2, 4),
        "VGGStyleDiscriminator" => new VggStyleDiscriminator(3, 4, 128),
        "UNetDiscriminatorSN" => new UNetDiscriminatorSN(3, 4),
        "VggFeatures" => new VggFeatures(new[] { "relu2_2" }),
        "SpectralNormConv2d" => new SpectralNormConv2d(4, 8, 3, 1, 1),
        "BatchNorm2d" => new BatchNorm2d(8),
        "PRelu" => new PRelu(8),
        "LeakyRelu" => new LeakyRelu(Scalars.Point2),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Modules))]
    public void MovedToMeta_HoldsNoTensorElsewhere(string name)
    {
        var module = Create(name);
        var before = TensorsIn(module).ToList();
        module.to(META);
        var after = TensorsIn(module).ToList();
        if (name != "LeakyRelu") Assert.NotEmpty(after);
        var stray = after.Where(t => t.Tensor.device_type != DeviceType.META).Select(t => $"{t.Path} on {t.Tensor.device}").ToList();
        Assert.True(stray.Count == 0, $"{name}: tensors left behind: {string.Join(", ", stray)}");
        // Parameters and buffers as the module reports them, too.
        Assert.All(module.parameters(), p => Assert.Equal(DeviceType.META, p.device_type));
        Assert.All(module.buffers(), b => Assert.Equal(DeviceType.META, b.device_type));
        Assert.Equal(before.Count, after.Count);
    }

    [Fact]
    public void VggFeatures_NormalisesOnTheModulesDevice()
    {
        var vgg = new VggFeatures(new[] { "relu1_2" });
        vgg.to(META);
        var y = vgg.Normalize(empty(2, 3, 16, 16, device: META));
        Assert.Equal(DeviceType.META, y.device_type);
        Assert.Equal(new long[] { 2, 3, 16, 16 }, y.shape);
    }

    [Fact]
    public void Activations_Interpolation_AndSums_RunOnMetaInputs()
    {
        var x = empty(2, 8, 6, 6, device: META);
        var lrelu = new LeakyRelu(Scalars.Point2);
        Assert.Equal(DeviceType.META, lrelu.call(x).device_type);
        // (PReLU and batch_norm have no meta kernels in libtorch 2.10; their placement is checked above.)
        var up = nn.functional.interpolate(x, scale_factor: new[] { 2.0, 2.0 }, mode: InterpolationMode.Nearest);
        Assert.Equal(new long[] { 2, 8, 12, 12 }, up.shape);
        Assert.Equal(DeviceType.META, TensorOps.Add(up, up).device_type);
    }

    /// <summary>Every tensor reachable from the module's fields (and its submodules' fields, arrays and lists of them),
    /// with the field path, whether or not it is registered.</summary>
    static IEnumerable<(string Path, Tensor Tensor)> TensorsIn(object root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(string, object)>();
        stack.Push(("", root));
        while (stack.Count > 0)
        {
            var (path, obj) = stack.Pop();
            if (!seen.Add(obj)) continue;
            if (obj is Tensor t)
            {
                if (!t.IsInvalid) yield return (path, t);
                continue;
            }
            if (obj is IEnumerable items and not string && obj is not nn.Module)
            {
                int i = 0;
                foreach (var item in items)
                {
                    if (item is not null && (item is Tensor || item is nn.Module || item is IEnumerable)) stack.Push(($"{path}[{i}]", item));
                    i++;
                }
                continue;
            }
            if (obj is not nn.Module) continue;
            for (var type = obj.GetType(); type != null && type != typeof(nn.Module); type = type.BaseType)
                foreach (var f in type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
                {
                    if (f.FieldType.IsValueType || f.FieldType == typeof(string)) continue;
                    if (f.GetValue(obj) is { } value && (value is Tensor || value is nn.Module || value is IEnumerable))
                        stack.Push(($"{path}.{f.Name}", value));
                }
        }
    }
}
