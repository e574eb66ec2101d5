using SrTrain.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SrTrain.Models;

/// <summary>BasicSR's <c>ResidualDenseBlock</c> (ESRGAN): five densely connected 3x3 convs, the last scaled by 0.2 and
/// added back to the input. Field names match PyTorch (conv1 … conv5).</summary>
internal sealed class ResidualDenseBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Conv2d conv3;
    private readonly Conv2d conv4;
    private readonly Conv2d conv5;
    private readonly LeakyRelu lrelu;

    public ResidualDenseBlock(long numFeat = 64, long numGrowCh = 32) : base(nameof(ResidualDenseBlock))
    {
        conv1 = Conv2d(numFeat, numGrowCh, 3, 1, 1);
        conv2 = Conv2d(numFeat + numGrowCh, numGrowCh, 3, 1, 1);
        conv3 = Conv2d(numFeat + 2 * numGrowCh, numGrowCh, 3, 1, 1);
        conv4 = Conv2d(numFeat + 3 * numGrowCh, numGrowCh, 3, 1, 1);
        conv5 = Conv2d(numFeat + 4 * numGrowCh, numFeat, 3, 1, 1);
        // In place as in BasicSR: conv outputs are not kept for backward, and the allocations add up at large sizes.
        lrelu = new LeakyRelu(Scalars.Point2, inplace: true);
        foreach (var c in new[] { conv1, conv2, conv3, conv4, conv5 })
            WeightInit.ScaledKaimingNormal(c, 0.1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x1 = lrelu.call(conv1.call(x));
        var x2 = lrelu.call(conv2.call(cat(new[] { x, x1 }, 1)));
        var x3 = lrelu.call(conv3.call(cat(new[] { x, x1, x2 }, 1)));
        var x4 = lrelu.call(conv4.call(cat(new[] { x, x1, x2, x3 }, 1)));
        var x5 = conv5.call(cat(new[] { x, x1, x2, x3, x4 }, 1));
        // Residual scaling 0.2 (ESRGAN paper, sec. 3.1): keeps deep stacks stable.
        // In place on conv5's fresh output: the same two roundings as x5 * 0.2 + x, without two more tensors.
        return x5.mul_(Scalars.Point2).add_(x, Scalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>Disposes the submodules and tensors this module owns, as TorchVision's modules do.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv1.Dispose();
            conv2.Dispose();
            conv3.Dispose();
            conv4.Dispose();
            conv5.Dispose();
            lrelu.Dispose();
        }
        base.Dispose(disposing);
    }
}
