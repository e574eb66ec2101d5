using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Degradation;

/// <summary>BasicSR's USMSharp(radius=50, sigma=0): unsharp masking of the GT with a soft threshold mask.</summary>
/// <remarks>BasicSR blurs with filter2D and the 51×51 outer product of cv2.getGaussianKernel(51, 0), and so does this
/// by default: on the CPU it equals BasicSR bit for bit (PyTorch 1.13 and libtorch 2.10 run the same convolution).
/// That kernel is separable, and <c>separable: true</c> blurs with its 1-D factor twice
/// (<see cref="DegradationOps.Filter2DSeparable"/>), about 5× faster on a CPU; the blur then differs by float rounding
/// (~2e-6), which flips the hard mask |I − B|·255 &gt; threshold at the pixels that sit on the threshold: on two 400×400
/// photo crops 0.08% of the outputs moved, by at most 3e-4.</remarks>
internal sealed class UsmSharp : IDisposable
{
    readonly Dictionary<string, Tensor> _kernelByDevice = new(StringComparer.Ordinal);
    readonly float[] _kernel1d;
    bool _disposed;

    public UsmSharp(Device device, int radius = 50) : this(device, radius, separable: false) { }

    /// <param name="separable">false: BasicSR's single 51×51 filter2D; true: the 1-D factor twice (faster, not
    /// bit-equal; see the remarks).</param>
    public UsmSharp(Device device, int radius, bool separable)
    {
        Separable = separable;
        if (radius < 1) throw new ArgumentOutOfRangeException(nameof(radius), radius, "the USM radius must be positive");
        if (radius % 2 == 0) radius += 1;
        Radius = radius;
        _kernel1d = GaussianKernel(radius, 0).Select(v => (float)v).ToArray();
        KernelOn(device);
    }

    /// <summary>The kernel size (BasicSR's self.radius: the given radius made odd).</summary>
    public int Radius { get; }

    /// <summary>Whether the blur runs as two 1-D passes (see the remarks) rather than one 2-D filter2D.</summary>
    public bool Separable { get; }

    /// <summary>forward(img, weight=0.5, threshold=10) on (B,3,H,W) in [0,1].</summary>
    public Tensor Apply(Tensor img, double weight = 0.5, double threshold = 10)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var kernel = KernelOn(img.device);
        using var scope = NewDisposeScope();
        using var w = weight.ToScalar();
        using var t = threshold.ToScalar();
        var blur = Blur(img, kernel);
        var residual = TensorOps.Sub(img, blur);
        var mask = residual.abs().mul(Scalars.Byte).gt(t).to(img.dtype);
        var softMask = Blur(mask, kernel);
        var sharp = TensorOps.Add(img, residual.mul(w)).clamp(Scalars.Zero, Scalars.One);
        // soft_mask * sharp + (1 - soft_mask) * img
        var result = TensorOps.Add(softMask.mul(sharp), softMask.neg().add_(Scalars.One, Scalars.One).mul(img));
        return result.MoveToOuterDisposeScope();
    }

    Tensor Blur(Tensor img, Tensor kernel) =>
        Separable ? DegradationOps.Filter2DSeparable(img, kernel) : DegradationOps.Filter2D(img, kernel);

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

    // The 1-D kernel (separable) or the (1,k,k) 2-D one, per device.
    Tensor KernelOn(Device device)
    {
        var key = device.ToString();
        if (!_kernelByDevice.TryGetValue(key, out var k))
            // Out of any dispose scope open on this thread: the kernel lives as long as this UsmSharp.
            _kernelByDevice[key] = k = (Separable ? tensor(_kernel1d, device: device) : Kernel2D(device)).DetachFromDisposeScope();
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
