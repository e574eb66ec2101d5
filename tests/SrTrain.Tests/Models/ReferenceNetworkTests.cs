using SrTrain.Models;
using static SrTrain.Tests.Models.ReferenceData;
using static TorchSharp.torch;

namespace SrTrain.Tests.Models;

/// <summary>Each network loads the weights that BasicSR / torchvision saved and reproduces PyTorch's eval output.</summary>
public class ReferenceNetworkTests
{
    const double Tolerance = 1e-4;

    static double RunEval(nn.Module<Tensor, Tensor> net, string input, long[] inShape, string output, long[] outShape)
    {
        net.eval();
        using var _ = no_grad();
        var x = ReadF32(input, inShape);
        var y = net.call(x);
        return MaxAbsDiff(y, ReadF32(output, outShape));
    }

    [Fact]
    public void RrdbNetX4_ReproducesBasicSR_WithItsStateDict()
    {
        using var net = new RrdbNet(3, 3, scale: 4, numFeat: 16, numBlock: 2, numGrowCh: 8);
        LoadInto(net, "rrdbnet_x4_nf16_nb2_gc8.pth");
        var diff = RunEval(net, "rrdbnet_x4_nf16_nb2_gc8.input.f32", new long[] { 1, 3, 12, 10 },
            "rrdbnet_x4_nf16_nb2_gc8.output.f32", new long[] { 1, 3, 48, 40 });
        Assert.True(diff < Tolerance, $"max abs diff {diff}");
    }

    [Fact]
    public void RrdbNetX4_ReproducesBasicSR_WithParamsEmaWrappedFile()
    {
        using var net = new RrdbNet(3, 3, scale: 4, numFeat: 16, numBlock: 2, numGrowCh: 8);
        LoadInto(net, "rrdbnet_x4_nf16_nb2_gc8.params_ema.pth", wrapperKey: "params_ema");
        var diff = RunEval(net, "rrdbnet_x4_nf16_nb2_gc8.input.f32", new long[] { 1, 3, 12, 10 },
            "rrdbnet_x4_nf16_nb2_gc8.output.f32", new long[] { 1, 3, 48, 40 });
        Assert.True(diff < Tolerance, $"max abs diff {diff}");
    }

    [Fact]
    public void RrdbNetX2_ReproducesBasicSR_ThroughPixelUnshuffle()
    {
        using var net = new RrdbNet(3, 3, scale: 2, numFeat: 16, numBlock: 1, numGrowCh: 8);
        LoadInto(net, "rrdbnet_x2_nf16_nb1_gc8.pth");
        var diff = RunEval(net, "rrdbnet_x2_nf16_nb1_gc8.input.f32", new long[] { 1, 3, 10, 12 },
            "rrdbnet_x2_nf16_nb1_gc8.output.f32", new long[] { 1, 3, 20, 24 });
        Assert.True(diff < Tolerance, $"max abs diff {diff}");
    }

    [Fact]
    public void VggStyleDiscriminator_ReproducesBasicSR_WithBatchNormRunningStats()
    {
        using var net = new VggStyleDiscriminator(3, numFeat: 8, inputSize: 128);
        LoadInto(net, "vggstyle_disc_nf8_128.pth");
        var diff = RunEval(net, "vggstyle_disc_nf8_128.input.f32", new long[] { 2, 3, 128, 128 },
            "vggstyle_disc_nf8_128.output.f32", new long[] { 2, 1 });
        Assert.True(diff < Tolerance, $"max abs diff {diff}");
    }

    [Fact]
    public void UNetDiscriminatorSN_ReproducesRealEsrgan_WithStoredSpectralNormVectors()
    {
        using var net = new UNetDiscriminatorSN(3, numFeat: 8, skipConnection: true);
        LoadInto(net, "unet_disc_sn_nf8.pth");
        var diff = RunEval(net, "unet_disc_sn_nf8.input.f32", new long[] { 1, 3, 32, 32 },
            "unet_disc_sn_nf8.output.f32", new long[] { 1, 1, 32, 32 });
        Assert.True(diff < Tolerance, $"max abs diff {diff}");
    }

    [Fact]
    public void VggFeatures_ReproducesTorchvision_AtRelu12Relu22Relu33()
    {
        using var vgg = new VggFeatures(new[] { "relu1_2", "relu2_2", "relu3_3" });
        LoadInto(vgg, "vgg16_features_to_relu3_3.pth");
        var x = ReadF32("vgg16.input.f32", 1, 3, 40, 36);
        var feats = vgg.call(x);
        Assert.Equal(new[] { "relu1_2", "relu2_2", "relu3_3" }, feats.Keys.OrderBy(k => k));
        var expected = new Dictionary<string, long[]>
        {
            ["relu1_2"] = new long[] { 1, 64, 40, 36 },
            ["relu2_2"] = new long[] { 1, 128, 20, 18 },
            ["relu3_3"] = new long[] { 1, 256, 10, 9 },
        };
        foreach (var (name, shape) in expected)
        {
            var diff = MaxAbsDiff(feats[name], ReadF32($"vgg16.{name}.f32", shape));
            Assert.True(diff < Tolerance, $"{name}: max abs diff {diff}");
        }
    }
}
