using SrTrain.Config;
using SrTrain.Models;
using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Tests.Models;

public class VggFeaturesTests
{
    static VggFeaturesTests() => NativeRuntime.EnsureLoaded();

    [Fact]
    public void BuiltToRelu22_HasTorchvisionKeysUpToFeatures7_AndNoNormalisationBuffers()
    {
        using var vgg = new VggFeatures(new[] { "relu2_2", "conv1_1" });
        var keys = vgg.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[]
        {
            "features.0.bias", "features.0.weight", "features.2.bias", "features.2.weight",
            "features.5.bias", "features.5.weight", "features.7.bias", "features.7.weight",
        }, keys);
        Assert.Equal(new long[] { 128, 128, 3, 3 }, vgg.state_dict()["features.7.weight"].shape);
    }

    [Fact]
    public void ModuleTo_KeepsNormalisationOutOfStateDict_AndFollowsTheDtype()
    {
        using var vgg = new VggFeatures(new[] { "relu1_1" });
        var x = rand(1, 3, 6, 6);
        var expected = vgg.call(x)["relu1_1"];
        vgg.to(ScalarType.Float64);
        Assert.Equal(new[] { "features.0.bias", "features.0.weight" }, vgg.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal));
        var y = vgg.call(x.to(ScalarType.Float64))["relu1_1"];
        Assert.Equal(ScalarType.Float64, y.dtype);
        Assert.True((y.to(ScalarType.Float32) - expected).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void IsFrozen_ButPassesGradientToItsInput()
    {
        using var vgg = new VggFeatures(new[] { "relu1_2" });
        Assert.All(vgg.parameters(), p => Assert.False(p.requires_grad));
        Assert.False(vgg.training);

        // A perceptual loss needs d(features)/d(input) even though VGG itself is not trained.
        var x = rand(1, 3, 8, 8).requires_grad_(true);
        vgg.call(x)["relu1_2"].sum().backward();
        Assert.NotNull(x.grad);
        Assert.True(x.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void ConvLayer_ReturnsPreActivation_AndPoolHalvesSize()
    {
        using var vgg = new VggFeatures(new[] { "conv1_1", "relu1_1", "pool1" });
        var f = vgg.call(rand(1, 3, 10, 12));
        Assert.True(f["conv1_1"].min().item<float>() < 0);
        Assert.Equal(0.0, (f["relu1_1"] - f["conv1_1"].clamp_min(0)).abs().max().item<float>());
        Assert.Equal(new long[] { 1, 64, 5, 6 }, f["pool1"].shape);
    }

    [Fact]
    public void UnknownLayerName_IsRejected_WithTheValidNames()
    {
        var e = Assert.Throws<ArgumentException>(() => new VggFeatures(new[] { "relu5_4" }));
        Assert.Contains("relu5_4", e.Message);
        Assert.Contains("relu5_3", e.Message);
    }

    [Fact]
    public void Vgg19ToConv54_HasTorchvisionVgg19KeysUpToFeatures34()
    {
        using var vgg = new VggFeatures(new[] { "conv5_4", "relu1_1" }, "vgg19");
        var sd = vgg.state_dict();
        var convIndices = new[] { 0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34 };
        Assert.Equal(convIndices.SelectMany(i => new[] { $"features.{i}.bias", $"features.{i}.weight" }).OrderBy(k => k, StringComparer.Ordinal),
            sd.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(new long[] { 512, 512, 3, 3 }, sd["features.34.weight"].shape);
        Assert.Equal(new long[] { 256, 128, 3, 3 }, sd["features.10.weight"].shape);
        var f = vgg.call(rand(1, 3, 16, 16));
        Assert.Equal(new long[] { 1, 512, 1, 1 }, f["conv5_4"].shape);
        Assert.Equal(37, VggLayerNames.Vgg19.Count);
    }

    [Fact]
    public void Vgg19LayerNames_AreRejectedForVgg16_AndUnknownTypesAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new VggFeatures(new[] { "conv3_4" }, "vgg16"));
        Assert.Contains("VGG-16", e.Message);
        var t = Assert.Throws<ArgumentException>(() => new VggFeatures(new[] { "relu1_1" }, "vgg19_bn"));
        Assert.Contains("vgg16, vgg19", t.Message);
    }
}
