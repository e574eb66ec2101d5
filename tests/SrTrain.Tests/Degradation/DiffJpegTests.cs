using SrTrain.Degradation;
using SrTrain.Runtime;
using static TorchSharp.torch;
using static SrTrain.Tests.Degradation.OpsReference;

namespace SrTrain.Tests.Degradation;

/// <summary>DiffJpeg against BasicSR's DiffJPEG(differentiable=False) under PyTorch 1.13, qualities 30.3, 55.7 and 95
/// in one batch (TestData/Degradation/ops_reference.safetensors).</summary>
public class DiffJpegTests
{
    const float Tolerance = 1e-5f;

    public DiffJpegTests() => NativeRuntime.EnsureLoaded();

    [Theory]
    [InlineData(36, 44)] // neither side a multiple of 16: padded with zeros and cropped back
    [InlineData(48, 32)]
    public void Apply_OneQualityPerImage_MatchesBasicSr(int h, int w)
    {
        using var scope = NewDisposeScope();
        using var jpeg = new DiffJpeg(CPU);
        var outp = jpeg.Apply(Input(h, w), Get("jpeg.quality"));
        var diff = MaxAbsDiff(outp, Get($"jpeg.out.{h}x{w}"));
        Assert.True(diff <= Tolerance, $"max |SrTrain − BasicSR| = {diff}");
    }

    [Fact]
    public void Apply_TheSameQualityForAll_MatchesBasicSrsFloatQuality()
    {
        using var scope = NewDisposeScope();
        using var jpeg = new DiffJpeg(CPU);
        var outp = jpeg.Apply(Input(48, 32), full(3, 50f));
        var diff = MaxAbsDiff(outp, Get("jpeg.out_q50.48x32"));
        Assert.True(diff <= Tolerance, $"max |SrTrain − BasicSR| = {diff}");
    }

    [Fact]
    public void QualityToFactor_IsBasicSrsFormula()
    {
        using var scope = NewDisposeScope();
        var f = DiffJpeg.QualityToFactor(tensor(new[] { 10f, 30.3f, 50f, 55.7f, 95f })).data<float>().ToArray();
        Assert.Equal(new[] { 5f, 5000f / 30.3f / 100f, 1f, (200f - 111.4f) / 100f, 0.1f }, f, (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void Apply_LowQualityLosesMoreThanHighQuality_AndKeepsTheRange()
    {
        using var scope = NewDisposeScope();
        using var jpeg = new DiffJpeg(CPU);
        var x = Input(48, 48).narrow(0, 0, 1).expand(2, 3, 48, 48).contiguous();
        var outp = jpeg.Apply(x, tensor(new[] { 10f, 95f }));
        var err = TensorOps.Sub(outp, x).abs().mean([1, 2, 3]).data<float>().ToArray();
        Assert.True(err[0] > 2 * err[1], $"mean error at q10 {err[0]}, at q95 {err[1]}");
        Assert.True(outp.min().item<float>() >= 0 && outp.max().item<float>() <= 1);
    }

    [Fact]
    public void Apply_RefusesAQualityCountThatIsNotTheBatchSize()
    {
        using var scope = NewDisposeScope();
        using var jpeg = new DiffJpeg(CPU);
        Assert.Throws<ArgumentException>(() => jpeg.Apply(Input(16, 16), tensor(new[] { 50f })));
    }
}
