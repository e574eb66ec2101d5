using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Tests.Data;

static class DataTestUtil
{
    static DataTestUtil() => NativeRuntime.EnsureLoaded();

    public static void EnsureTorch() { }

    public static string TestFile(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "Data", name);

    /// <summary>Float image in [0,1] → bytes as BasicSR's tensor2img rounds them.</summary>
    public static byte[] ToBytes(Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        return t.clamp(0, 1).mul(255).round().to(ScalarType.Byte).contiguous().data<byte>().ToArray();
    }

    /// <summary>Same shape and bit-identical values.</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        return a.shape.SequenceEqual(b.shape) && (a == b).all().item<bool>();
    }

    public static (int MaxDiff, double FractionDiffering) CompareBytes(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        int max = 0, count = 0;
        for (int i = 0; i < a.Length; i++)
        {
            int d = Math.Abs(a[i] - b[i]);
            if (d > 0) count++;
            max = Math.Max(max, d);
        }
        return (max, (double)count / a.Length);
    }
}
