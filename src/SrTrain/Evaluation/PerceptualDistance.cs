using SrTrain.Config;
using SrTrain.Models;
using static TorchSharp.torch;

namespace SrTrain.Evaluation;

/// <summary>The VGG-16 perceptual distance metric: Σ w·L1(φ_l(output), φ_l(hq)) over the given layers, the formula of
/// the perceptual loss (BasicSR's PerceptualLoss with L1 criterion) and of <c>Validator</c>'s <c>vgg_dist</c>.</summary>
internal static class PerceptualDistance
{
    /// <summary>Layers and weights of the metric: the perceptual loss's default set, fixed (not the configured loss's
    /// layers) so the metric means the same in every run and in `srtrain eval`.</summary>
    public static readonly IReadOnlyDictionary<string, double> Layers = PerceptualLossConfig.DefaultLayerWeights;

    /// <param name="output">(1,3,H,W) in [0,1], on the VGG's device.</param>
    /// <param name="hq">(1,3,H,W) in [0,1], on the VGG's device.</param>
    /// <param name="layers">Layer name → weight (e.g. <see cref="Layers"/>).</param>
    public static double Measure(VggFeatures vgg, Tensor output, Tensor hq, IReadOnlyDictionary<string, double> layers)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var fo = vgg.call(output);
        var fh = vgg.call(hq);
        double d = 0;
        foreach (var (layer, w) in layers)
            d += w * nn.functional.l1_loss(fo[layer], fh[layer]).item<float>();
        return d;
    }
}
