using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Losses;

/// <summary>VGG feature loss (BasicSR's PerceptualLoss with criterion L1): Σ_layer weight·L1(φ(pred), φ(target)).
/// The target's features need no gradient, so they are computed under no_grad (no graph is kept for them).</summary>
public sealed class PerceptualLoss
{
    readonly Func<Tensor, IReadOnlyDictionary<string, Tensor>> _features;
    readonly IReadOnlyDictionary<string, double> _layerWeights;

    /// <param name="features">Maps a [0,1] RGB batch to named feature maps (e.g. Vgg16Features); must return at
    /// least every layer named in <paramref name="layerWeights"/>.</param>
    public PerceptualLoss(Func<Tensor, IReadOnlyDictionary<string, Tensor>> features, IReadOnlyDictionary<string, double> layerWeights)
    {
        _features = features;
        _layerWeights = layerWeights;
    }

    public Tensor Compute(Tensor pred, Tensor target)
    {
        var predFeatures = _features(pred);
        IReadOnlyDictionary<string, Tensor> targetFeatures;
        using (no_grad()) targetFeatures = _features(target.detach());
        Tensor? total = null;
        foreach (var (layer, weight) in _layerWeights)
        {
            if (weight == 0) continue;
            using var w = weight.ToScalar(); // alive until the mul is done (see SrganStep on implicit Scalars)
            var term = nn.functional.l1_loss(predFeatures[layer], targetFeatures[layer]).mul(w);
            total = total is null ? term : TensorOps.Add(total, term);
        }
        return total ?? zeros(1, device: pred.device).squeeze();
    }
}
