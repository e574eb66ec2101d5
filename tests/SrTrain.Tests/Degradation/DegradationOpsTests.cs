using SrTrain.Degradation;
using SrTrain.Runtime;
using static TorchSharp.torch;
using static SrTrain.Tests.Degradation.OpsReference;

namespace SrTrain.Tests.Degradation;

/// <summary>DegradationOps against BasicSR running in PyTorch 1.13 (TestData/Degradation/ops_reference.safetensors):
/// batch 3 of a chelsea crop, a coffee crop and random pixels, with different parameters per image.</summary>
public class DegradationOpsTests
{
    const float Tolerance = 1e-5f;

    public DegradationOpsTests() => NativeRuntime.EnsureLoaded();

    [Fact]
    public void Filter2D_OneKernelPerImage_MatchesBasicSr()
    {
        using var scope = NewDisposeScope();
        var outp = DegradationOps.Filter2D(Input(32, 40), Get("filter.kernels"));
        var diff = MaxAbsDiff(outp, Get("filter.out"));
        Assert.True(diff <= Tolerance, $"max |SrTrain − BasicSR| = {diff}");
    }

    [Fact]
    public void Filter2D_OneKernelForAllImages_MatchesBasicSr()
    {
        using var scope = NewDisposeScope();
        var outp = DegradationOps.Filter2D(Input(32, 40), Get("filter.shared_kernel"));
        var diff = MaxAbsDiff(outp, Get("filter.shared_out"));
        Assert.True(diff <= Tolerance, $"max |SrTrain − BasicSR| = {diff}");
    }

    [Fact]
    public void Filter2D_RefusesAnEvenKernel()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => DegradationOps.Filter2D(Input(32, 40), ones(1, 4, 4)));
    }

    [Theory]
    [InlineData(ResizeMode.Area), InlineData(ResizeMode.Bilinear), InlineData(ResizeMode.Bicubic)]
    public void ResizeByFactor_MatchesInterpolateWithAScaleFactor(ResizeMode mode)
    {
        using var scope = NewDisposeScope();
        var x = Input(20, 26);
        foreach (var s in new[] { 0.15, 0.3712, 1.2, 1.4999 })
        {
            var expected = Get(FormattableString.Invariant($"resize.{mode.ToString().ToLowerInvariant()}.{s}"));
            var diff = MaxAbsDiff(DegradationOps.ResizeByFactor(x, s, mode), expected);
            Assert.True(diff <= Tolerance, $"{mode} ×{s}: max |SrTrain − PyTorch 1.13| = {diff}");
        }
    }

    [Theory]
    [InlineData(ResizeMode.Area), InlineData(ResizeMode.Bilinear), InlineData(ResizeMode.Bicubic)]
    public void ResizeTo_MatchesInterpolateWithASize(ResizeMode mode)
    {
        using var scope = NewDisposeScope();
        var x = Input(20, 26);
        foreach (var (h, w) in new[] { (7, 9), (31, 17) })
        {
            var expected = Get($"resize_to.{mode.ToString().ToLowerInvariant()}.{h}x{w}");
            var diff = MaxAbsDiff(DegradationOps.ResizeTo(x, h, w, mode), expected);
            Assert.True(diff <= Tolerance, $"{mode} to {h}×{w}: max |SrTrain − PyTorch 1.13| = {diff}");
        }
    }

    [Fact]
    public void ResizeByFactor_Bicubic_IsNotClamped()
    {
        // The random image's overshoots are kept, as F.interpolate keeps them.
        using var scope = NewDisposeScope();
        var up = DegradationOps.ResizeByFactor(Input(20, 26), 1.2, ResizeMode.Bicubic);
        Assert.True(up.min().item<float>() < 0 && up.max().item<float>() > 1);
    }

    [Fact]
    public void AddGaussianNoise_WithBasicSrsRandomTensors_MatchesBasicSr()
    {
        using var scope = NewDisposeScope();
        var x = Input(24, 30);
        // BasicSR draws the gray noise as one (H,W) plane for the whole batch.
        var noiseGray = Get("gauss.noise_gray").view(1, 1, 24, 30).expand(3, 1, 24, 30);
        var outp = DegradationOps.AddGaussianNoise(x, Get("gauss.sigma"), Get("gauss.gray"), Get("gauss.noise"), noiseGray);
        var diff = MaxAbsDiff(outp, Get("gauss.out"));
        Assert.True(diff <= Tolerance, $"max |SrTrain − BasicSR| = {diff}");
        // Image 1 is gray: the same noise on its three channels (where nothing was clipped).
        var n = TensorOps.Sub(outp[1], x[1]);
        var inside = outp[1].gt(Scalars.Zero).logical_and(outp[1].lt(Scalars.One)).all(0);
        Assert.True(TensorOps.Sub(n[0], n[2]).abs().masked_select(inside).max().item<float>() < 1e-6f);
    }

    [Fact]
    public void AddPoissonNoise_CallsPoissonInBasicSrsOrder_AndMatchesBasicSr()
    {
        using var scope = NewDisposeScope();
        var x = Input(24, 30);
        var recorded = new Queue<Tensor>([Get("poisson.drawn_gray"), Get("poisson.drawn")]);
        var rates = new List<long[]>();
        var outp = DegradationOps.AddPoissonNoise(x, Get("poisson.scale"), Get("poisson.gray"), rate =>
        {
            rates.Add(rate.shape);
            return recorded.Dequeue();
        });
        Assert.Equal([[3, 1, 24, 30], [3, 3, 24, 30]], rates);
        var diff = MaxAbsDiff(outp, Get("poisson.out"));
        Assert.True(diff <= Tolerance, $"max |SrTrain − BasicSR| = {diff}");
    }

    [Fact]
    public void AddPoissonNoise_WithoutGrayImages_CallsPoissonOnce()
    {
        using var scope = NewDisposeScope();
        var x = Input(8, 10, top: 30, left: 40);
        int calls = 0;
        var outp = DegradationOps.AddPoissonNoise(x, Get("poisson_color.scale"), zeros(3), _ =>
        {
            calls++;
            return Get("poisson_color.drawn");
        });
        Assert.Equal(1, calls);
        var diff = MaxAbsDiff(outp, Get("poisson_color.out"));
        Assert.True(diff <= Tolerance, $"max |SrTrain − BasicSR| = {diff}");
    }

    [Fact]
    public void AddPoissonNoise_RatesUseThePowerOfTwoAboveTheLevelCount()
    {
        // An image with 3 distinct 8-bit levels: vals = 4, so the rate is img·4 (BasicSR: 2**ceil(log2(3))).
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 0, 10, 200, 10, 0, 200, 0, 0, 10, 10, 200, 0 }, [1, 3, 2, 2]).div(Scalars.Byte);
        float[]? rate = null;
        DegradationOps.AddPoissonNoise(x, ones(1), zeros(1), r => { rate = r.data<float>().ToArray(); return r.clone(); });
        Assert.Equal(new float[] { 0, 10, 200, 10, 0, 200, 0, 0, 10, 10, 200, 0 }.Select(v => v / 255f * 4), rate!);
    }
}
