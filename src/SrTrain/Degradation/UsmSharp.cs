using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Degradation;

/// <summary>BasicSR's USMSharp(radius=50, sigma=0): unsharp masking of the GT with a soft threshold mask.</summary>
/// <remarks>BasicSR blurs with filter2D and the 51×51 outer product of cv2.getGaussianKernel(51, 0); that kernel is
/// separable, so this blurs with its 1-D factor twice (<see cref="DegradationOps.Filter2DSeparable"/>), which agrees
/// with the 2-D filter to float rounding and is much faster on a CPU.</remarks>
internal sealed class UsmSharp : IDisposable
{
    readonly Dictionary<string, Tensor> _kernelByDevice = new(StringComparer.Ordinal);
    readonly float[] _kernel1d;
    bool _disposed;

    public UsmSharp(Device device, int radius = 50)
    {
        if (radius < 1) throw new ArgumentOutOfRangeException(nameof(radius), radius, "the USM radius must be positive");
        if (radius % 2 == 0) radius += 1;
        Radius = radius;
        _kernel1d = GaussianKernel(radius, 0).Select(v => (float)v).ToArray();
        KernelOn(device);
    }

    /// <summary>The kernel size (BasicSR's self.radius: the given radius made odd).</summary>
    public int Radius { get; }

    /// <summary>forward(img, weight=0.5, threshold=10) on (B,3,H,W) in [0,1].</summary>
    public Tensor Apply(Tensor img, double weight = 0.5, double threshold = 10)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var kernel = KernelOn(img.device);
        using var scope = NewDisposeScope();
        using var w = weight.ToScalar();
        using var t = threshold.ToScalar();
        var blur = DegradationOps.Filter2DSeparable(img, kernel);
        var residual = TensorOps.Sub(img, blur);
        var mask = residual.abs().mul(Scalars.Byte).gt(t).to(img.dtype);
        var softMask = DegradationOps.Filter2DSeparable(mask, kernel);
        var sharp = TensorOps.Add(img, residual.mul(w)).clamp(Scalars.Zero, Scalars.One);
        // soft_mask * sharp + (1 - soft_mask) * img
        var result = TensorOps.Add(softMask.mul(sharp), softMask.neg().add_(Scalars.One, Scalars.One).mul(img));
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The 2-D kernel BasicSR registers: float32(np.dot(k, k.T)) of the 1-D Gaussian, (1, size, size).</summary>
    public Tensor Kernel2D(Device device)
    {
        var k = GaussianKernel(Radius, 0);
        var outer = new float[Radius * Radius];
        for (int i = 0; i < Radius; i++)
            for (int j = 0; j < Radius; j++) outer[i * Radius + j] = (float)(k[i] * k[j]);
        return tensor(outer, [1, Radius, Radius], device: device);
    }

    /// <summary>cv2.getGaussianKernel(ksize, sigma) (OpenCV 4's getGaussianKernelBitExact, here in double
    /// arithmetic): for sigma ≤ 0, sigma = 0.15·ksize + 0.35 (= 0.3·((ksize−1)·0.5 − 1) + 0.8); the half kernel
    /// exp(−x²/(2σ²)), normalised by 1/(2·sum(half) + 1) and mirrored. (OpenCV takes a fixed table for ksize ≤ 7
    /// with sigma ≤ 0; USMSharp's kernels are larger, and those are refused.)</summary>
    internal static double[] GaussianKernel(int ksize, double sigma)
    {
        if (ksize % 2 == 0 || (ksize <= 7 && sigma <= 0))
            throw new ArgumentOutOfRangeException(nameof(ksize), ksize, "an odd size above 7 (OpenCV's fixed small kernels are not reproduced)");
        double s = sigma > 0 ? sigma : Math.FusedMultiplyAdd(ksize, 0.15, 0.35);
        double scale2X = -0.125 / (s * s);   // x below counts half-pixels: x = 2·(i − (ksize−1)/2)
        int half = (ksize - 1) / 2;
        var values = new double[half];
        double sum = 0;
        for (int i = 0, x = 1 - ksize; i < half; i++, x += 2)
        {
            values[i] = Math.Exp((double)(x * x) * scale2X);
            sum += values[i];
        }
        sum = sum * 2 + 1;
        double mul = 1.0 / sum;
        var k = new double[ksize];
        for (int i = 0; i < half; i++) k[i] = k[ksize - 1 - i] = values[i] * mul;
        k[half] = mul;
        return k;
    }

    Tensor KernelOn(Device device)
    {
        var key = device.ToString();
        if (!_kernelByDevice.TryGetValue(key, out var k)) _kernelByDevice[key] = k = tensor(_kernel1d, device: device);
        return k;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var k in _kernelByDevice.Values) k.Dispose();
        _kernelByDevice.Clear();
    }
}
