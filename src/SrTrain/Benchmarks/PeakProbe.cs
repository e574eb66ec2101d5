using System.Diagnostics;
using static TorchSharp.torch;

namespace SrTrain.Benchmarks;

/// <summary>What this machine's libtorch reaches on plain kernels at the current thread count, so a step's GFLOP/s
/// can be read against it.</summary>
internal static class PeakProbe
{
    /// <summary>GFLOP/s of an n×n float32 matmul (2n³ FLOPs), best of <paramref name="repeats"/> after one warm-up.</summary>
    public static double MatmulGflops(int n = 2048, int repeats = 5)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n, device: CPU);
        var b = randn(n, n, device: CPU);
        return Best(() => a.matmul(b), 2.0 * n * n * n, repeats);
    }

    /// <summary>GFLOP/s of a 3×3, stride 1, padding 1 convolution channels→channels on (1, channels, size, size)
    /// (2·C²·9·size² FLOPs), forward only, no gradient, best of <paramref name="repeats"/> after one warm-up.</summary>
    public static double Conv3x3Gflops(int channels = 64, int size = 128, int repeats = 5)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(1, channels, size, size, device: CPU);
        var w = randn(channels, channels, 3, 3, device: CPU);
        var bias = zeros(channels, device: CPU);
        return Best(() => nn.functional.conv2d(x, w, bias, padding: new long[] { 1, 1 }), 2.0 * channels * channels * 9 * size * size, repeats);
    }

    static double Best(Func<Tensor> op, double flops, int repeats)
    {
        op().Dispose();
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            op().Dispose();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return flops / best / 1e9;
    }
}
