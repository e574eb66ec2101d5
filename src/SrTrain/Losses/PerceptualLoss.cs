using SrTrain.Config;
using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Losses;

/// <summary>BasicSR's <c>PerceptualLoss</c> (basicsr/losses/basic_loss.py): a VGG feature loss
/// perceptual_weight · Σ_layer w_layer · criterion(φ(x), φ(gt)) and a Gram-matrix style loss
/// style_weight · Σ_layer w_layer · criterion(G(φ(x)), G(φ(gt))), with G the Gram matrix over c·h·w. The criterion is
/// l1 (mean absolute error), l2 (mean squared error) or fro (the Frobenius norm of the difference, not averaged).
/// The target's features need no gradient, so they are computed on gt.detach() under no_grad (no graph is kept).</summary>
internal sealed class PerceptualLoss
{

    readonly Func<Tensor, IReadOnlyDictionary<string, Tensor>> _features;
    readonly IReadOnlyDictionary<string, double> _layerWeights;
    readonly double _perceptualWeight;
    readonly double _styleWeight;
    readonly string _criterion;

    /// <summary>The L1 feature loss without weight (perceptual_weight 1, no style loss): <see cref="Compute"/>.</summary>
    /// <param name="features">Maps a [0,1] RGB batch to named feature maps (e.g. VggFeatures); must return at
    /// least every layer named in <paramref name="layerWeights"/>.</param>
    public PerceptualLoss(Func<Tensor, IReadOnlyDictionary<string, Tensor>> features, IReadOnlyDictionary<string, double> layerWeights)
        : this(features, layerWeights, 1.0, 0.0, "l1")
    {
    }

    /// <param name="features">Maps a batch to named feature maps; must return every layer of <paramref name="layerWeights"/>.</param>
    /// <param name="layerWeights">BasicSR's layer_weights.</param>
    /// <param name="perceptualWeight">BasicSR's perceptual_weight (0 = no feature loss).</param>
    /// <param name="styleWeight">BasicSR's style_weight (0 = no style loss).</param>
    /// <param name="criterion">l1, l2 or fro.</param>
    public PerceptualLoss(Func<Tensor, IReadOnlyDictionary<string, Tensor>> features, IReadOnlyDictionary<string, double> layerWeights,
        double perceptualWeight, double styleWeight, string criterion)
    {
        if (!PerceptualLossConfig.Criteria.Contains(criterion))
            throw new ArgumentException($"perceptual loss criterion {criterion} is not supported; use one of {string.Join(", ", PerceptualLossConfig.Criteria)}", nameof(criterion));
        _features = features;
        _layerWeights = layerWeights;
        _perceptualWeight = perceptualWeight;
        _styleWeight = styleWeight;
        _criterion = criterion;
    }

    /// <summary>BasicSR's forward: the weighted feature loss (null when perceptual_weight is 0) and the weighted style
    /// loss (null when style_weight is 0), from one pass of each image through the features.</summary>
    public (Tensor? Percep, Tensor? Style) Forward(Tensor x, Tensor gt)
    {
        var xFeatures = _features(x);
        IReadOnlyDictionary<string, Tensor> gtFeatures;
        using (no_grad()) gtFeatures = _features(gt.detach());
        Tensor? percep = _perceptualWeight > 0 ? Weighted(xFeatures, gtFeatures, _perceptualWeight, f => f, x.device) : null;
        Tensor? style = _styleWeight > 0 ? Weighted(xFeatures, gtFeatures, _styleWeight, GramMat, x.device) : null;
        return (percep, style);
    }

    /// <summary>The weighted feature loss alone (as <see cref="Forward"/>'s first value; 0 when perceptual_weight is 0).</summary>
    public Tensor Compute(Tensor pred, Tensor target) =>
        Forward(pred, target).Percep ?? zeros(1, device: pred.device).squeeze();

    Tensor Weighted(IReadOnlyDictionary<string, Tensor> xFeatures, IReadOnlyDictionary<string, Tensor> gtFeatures, double weight,
        Func<Tensor, Tensor> map, Device device)
    {
        Tensor? total = null;
        foreach (var (layer, w) in _layerWeights)
        {
            if (w == 0) continue; // BasicSR adds 0·criterion: the same value and gradient (for finite features)
            using var ws = w.ToScalar(); // alive until the mul is done (see SrganStep on implicit Scalars)
            var term = Criterion(map(xFeatures[layer]), map(gtFeatures[layer])).mul(ws);
            total = total is null ? term : TensorOps.Add(total, term);
        }
        if (total is null) return zeros(1, device: device).squeeze();
        if (weight == 1.0) return total;
        using var s = weight.ToScalar();
        return total.mul(s);
    }

    Tensor Criterion(Tensor a, Tensor b) => _criterion switch
    {
        "l1" => nn.functional.l1_loss(a, b),
        "l2" => nn.functional.mse_loss(a, b),
        _ => TensorOps.Sub(a, b).norm(),
    };

    /// <summary>BasicSR's _gram_mat: (n, c, h, w) → (n, c, c) Gram matrices divided by c·h·w.</summary>
    internal static Tensor GramMat(Tensor x)
    {
        var (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var features = x.reshape(n, c, w * h);
        var gram = features.bmm(features.transpose(1, 2));
        using var chw = ((double)(c * h * w)).ToScalar();
        return gram.div(chw);
    }
}
