namespace SrTrain.Config;

/// <summary>The layer names of VGG-16 and VGG-19 that losses.perceptual.layer_weights may use: BasicSR's NAMES in
/// vgg_arch.py, one per module of torchvision's <c>features</c>, in order. The config's vocabulary, so the validator
/// checks names without building a network, and <see cref="Models.VggFeatures"/> maps them to module indices.</summary>
internal static class VggLayerNames
{
    /// <summary>torchvision vgg16().features, index by index (BasicSR's NAMES['vgg16']).</summary>
    public static readonly IReadOnlyList<string> Vgg16 = new[]
    {
        "conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1",
        "conv2_1", "relu2_1", "conv2_2", "relu2_2", "pool2",
        "conv3_1", "relu3_1", "conv3_2", "relu3_2", "conv3_3", "relu3_3", "pool3",
        "conv4_1", "relu4_1", "conv4_2", "relu4_2", "conv4_3", "relu4_3", "pool4",
        "conv5_1", "relu5_1", "conv5_2", "relu5_2", "conv5_3", "relu5_3", "pool5",
    };

    /// <summary>torchvision vgg19().features, index by index (BasicSR's NAMES['vgg19']).</summary>
    public static readonly IReadOnlyList<string> Vgg19 = new[]
    {
        "conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1",
        "conv2_1", "relu2_1", "conv2_2", "relu2_2", "pool2",
        "conv3_1", "relu3_1", "conv3_2", "relu3_2", "conv3_3", "relu3_3", "conv3_4", "relu3_4", "pool3",
        "conv4_1", "relu4_1", "conv4_2", "relu4_2", "conv4_3", "relu4_3", "conv4_4", "relu4_4", "pool4",
        "conv5_1", "relu5_1", "conv5_2", "relu5_2", "conv5_3", "relu5_3", "conv5_4", "relu5_4", "pool5",
    };

    /// <summary>The VGG types this extractor builds (BasicSR's vgg_type; the _bn variants are not supported).</summary>
    public static readonly IReadOnlyList<string> VggTypes = new[] { "vgg16", "vgg19" };

    /// <summary>The layer names of <paramref name="vggType"/> (vgg16 or vgg19) in torchvision's feature order; null for
    /// any other type.</summary>
    public static IReadOnlyList<string>? Of(string vggType) => vggType switch
    {
        "vgg16" => Vgg16,
        "vgg19" => Vgg19,
        _ => null,
    };

    /// <summary>"VGG-16" or "VGG-19", for messages.</summary>
    public static string DisplayName(string vggType) => vggType == "vgg19" ? "VGG-19" : "VGG-16";
}
