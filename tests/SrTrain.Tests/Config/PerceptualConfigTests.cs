using SrTrain.Config;

namespace SrTrain.Tests.Config;

/// <summary>losses.perceptual's BasicSR options (vgg_type, layer names of each VGG, criterion, style_weight) as the
/// validator accepts and refuses them.</summary>
public class PerceptualConfigTests
{
    [Theory]
    [InlineData("vgg19", "{conv1_2: 0.1, conv2_2: 0.1, conv3_4: 1, conv4_4: 1, conv5_4: 1}", "l1")]
    [InlineData("vgg19", "{relu5_4: 1, pool4: 0.5}", "fro")]
    [InlineData("vgg16", "{conv1_1: 1, relu2_2: 0.1, pool5: 1}", "l2")]
    public void BasicSrLayerNamesAndCriteria_AreAccepted(string vggType, string layers, string criterion)
    {
        var c = ConfigLoader.LoadText($"losses:\n  perceptual: {{weight: 1, style_weight: 0.5, vgg_type: {vggType}, criterion: {criterion}, layer_weights: {layers}}}\n");
        Assert.Equal(vggType, c.Losses.Perceptual.VggType);
        Assert.Equal(criterion, c.Losses.Perceptual.Criterion);
        Assert.Equal(0.5, c.Losses.Perceptual.StyleWeight);
    }

    [Theory]
    [InlineData("{weight: 1, layer_weights: {conv5_4: 1}}", "'losses.perceptual.layer_weights.conv5_4' is not a VGG-16 layer")]
    [InlineData("{weight: 1, vgg_type: vgg19, layer_weights: {relu9_9: 1}}", "'losses.perceptual.layer_weights.relu9_9' is not a VGG-19 layer")]
    [InlineData("{weight: 1, vgg_type: vgg13}", "'losses.perceptual.vgg_type' 'vgg13' is not supported (use vgg16 or vgg19)")]
    [InlineData("{weight: 1, criterion: l3}", "'losses.perceptual.criterion' 'l3' is not supported (use l1, l2, fro)")]
    [InlineData("{style_weight: -1}", "'losses.perceptual.style_weight' must be 0 or more")]
    [InlineData("{weight: 0, style_weight: 1, layer_weights: {}}", "'losses.perceptual.layer_weights' must name at least one VGG-16 layer")]
    public void BadPerceptualOptions_AreRejected_WithTheKey(string perceptual, string expected)
    {
        var e = Assert.Throws<SrTrainException>(() => ConfigLoader.LoadText($"losses:\n  perceptual: {perceptual}\n", "x.yaml"));
        Assert.Contains(expected, e.Message);
    }
}
