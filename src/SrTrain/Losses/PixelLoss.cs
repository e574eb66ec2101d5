using SrTrain.Config;
using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Losses;

/// <summary>Pixel losses between output and ground truth, mean over all elements (BasicSR's L1Loss, MSELoss and
/// CharbonnierLoss with reduction 'mean').</summary>
internal static class PixelLoss
{
    public static Tensor Compute(PixelCriterion criterion, Tensor pred, Tensor target, double eps = 1e-12)
    {
        switch (criterion)
        {
            case PixelCriterion.L1: return nn.functional.l1_loss(pred, target);
            case PixelCriterion.L2: return nn.functional.mse_loss(pred, target);
            case PixelCriterion.Charbonnier:
                // BasicSR: sqrt((pred - target)^2 + eps), mean. `using` keeps the Scalar alive until libtorch is done
                // with it (see SrganStep on implicit Scalars).
                using (var e = eps.ToScalar())
                {
                    var diff = pred - target;
                    return diff.mul(diff).add(e, Scalars.One).sqrt().mean(); // mul, not square(): that calls pow(2) with a temporary Scalar
                }
            default: throw new ArgumentOutOfRangeException(nameof(criterion));
        }
    }
}
