using SrTrain.Config;
using static TorchSharp.torch;

namespace SrTrain.Losses;

/// <summary>Pixel losses between output and ground truth, mean over all elements (BasicSR's L1Loss, MSELoss and
/// CharbonnierLoss with reduction 'mean').</summary>
public static class PixelLoss
{
    public static Tensor Compute(PixelCriterion criterion, Tensor pred, Tensor target, double eps = 1e-12) => criterion switch
    {
        PixelCriterion.L1 => nn.functional.l1_loss(pred, target),
        PixelCriterion.L2 => nn.functional.mse_loss(pred, target),
        // BasicSR: sqrt((pred - target)^2 + eps), mean.
        PixelCriterion.Charbonnier => (pred - target).square().add(eps).sqrt().mean(),
        _ => throw new ArgumentOutOfRangeException(nameof(criterion)),
    };
}
