using SrTrain.Degradation;
using SrTrain.Runtime;
using static TorchSharp.torch;
using static SrTrain.Tests.Degradation.OpsReference;

namespace SrTrain.Tests.Degradation;

/// <summary>UsmSharp against BasicSR's USMSharp(radius=50, sigma=0) under PyTorch 1.13 and cv2 4.6
/// (TestData/Degradation/ops_reference.safetensors).</summary>
public class UsmSharpTests
{
    const float Tolerance = 1e-5f;

    public UsmSharpTests() => NativeRuntime.EnsureLoaded();

    [Fact]
    public void Kernel_IsCv2sGaussianKernelOuterProduct()
    {
        using var scope = NewDisposeScope();
        using var usm = new UsmSharp(CPU);
        Assert.Equal(51, usm.Radius);
        Assert.False(usm.Separable);
        var diff = MaxAbsDiff(usm.Kernel2D(CPU), Get("usm.kernel"));
        Assert.True(diff <= 1e-9f, $"max |kernel − BasicSR's| = {diff}");
        var k = UsmSharp.GaussianKernel(51, 0);
        Assert.Equal(1.0, k.Sum(), 12);
        Assert.Equal(k[0], k[50]);
    }

    [Fact]
    public void Apply_DefaultWeightAndThreshold_MatchesBasicSr()
    {
        using var scope = NewDisposeScope();
        using var usm = new UsmSharp(CPU);
        var diff = MaxAbsDiff(usm.Apply(Input(32, 40)), Get("usm.out"));
        Assert.True(diff <= Tolerance, $"max |SrTrain − BasicSR| = {diff}");
    }

    [Fact]
    public void Apply_OtherWeightAndThreshold_MatchesBasicSr()
    {
        using var scope = NewDisposeScope();
        using var usm = new UsmSharp(CPU);
        var diff = MaxAbsDiff(usm.Apply(Input(32, 40), weight: 0.8, threshold: 5), Get("usm.out_w0.8_t5"));
        Assert.True(diff <= Tolerance, $"max |SrTrain − BasicSR| = {diff}");
    }

    [Fact]
    public void Apply_Separable_MatchesBasicSrHere()
    {
        // Not bit-equal in general (mask flips at the threshold, see UsmSharp); none occur on this crop.
        using var scope = NewDisposeScope();
        using var usm = new UsmSharp(CPU, 50, separable: true);
        Assert.True(usm.Separable);
        var diff = MaxAbsDiff(usm.Apply(Input(32, 40)), Get("usm.out"));
        Assert.True(diff <= Tolerance, $"max |SrTrain − BasicSR| = {diff}");
    }

    [Fact]
    public void SeparableBlur_EqualsTheFull2DFilter()
    {
        using var scope = NewDisposeScope();
        using var usm = new UsmSharp(CPU);
        var x = Input(32, 40);
        var full2d = DegradationOps.Filter2D(x, usm.Kernel2D(CPU));
        var k1 = tensor(UsmSharp.GaussianKernel(51, 0).Select(v => (float)v).ToArray());
        var diff = MaxAbsDiff(DegradationOps.Filter2DSeparable(x, k1), full2d);
        // Two sums of 51 terms instead of one of 2601, and float32(k_i)·float32(k_j) for float32(k_i·k_j): 2.1e-6 here.
        Assert.True(diff <= Tolerance, $"max |separable − 2-D| = {diff}");
    }
}
