using SrTrain.Interop;
using SrTrain.Runtime;
using static TorchSharp.torch;

namespace SrTrain.Tests.Degradation;

/// <summary>TestData/Degradation/ops_reference.safetensors: BasicSR's own filter2D, F.interpolate, noise, DiffJPEG and
/// USMSharp results under PyTorch 1.13 (scripts/reference/make_degradation_ops_reference.py), read once.</summary>
internal static class OpsReference
{
    static readonly Lazy<IReadOnlyDictionary<string, Tensor>> Tensors = new(() =>
    {
        NativeRuntime.EnsureLoaded();
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "Degradation", "ops_reference.safetensors"));
        // Kept for the whole run: out of the dispose scope of whichever test loads them first.
        var tensors = SafetensorsFile.Read(bytes);
        foreach (var t in tensors.Values) t.DetachFromDisposeScope();
        return tensors;
    });

    public static Tensor Get(string name) =>
        Tensors.Value.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"ops_reference has no tensor '{name}'");

    /// <summary>The (3,3,48,60) input as float32 /255, as the script reads it: a chelsea crop, a coffee crop, noise.</summary>
    public static Tensor Input(long height, long width, long top = 0, long left = 0) =>
        Get("input").to(ScalarType.Float32).div(Scalars.Byte).narrow(2, top, height).narrow(3, left, width).contiguous();

    /// <summary>max |a − b|, after checking the shapes agree.</summary>
    public static float MaxAbsDiff(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var d = TensorOps.Sub(actual.cpu(), expected);
        using var a = d.abs();
        using var m = a.max();
        return m.item<float>();
    }
}
