using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SrTrain.Models;

/// <summary>BasicSR's <c>ResidualBlockNoBN</c>: x + res_scale · conv2(relu(conv1(x))), without batch norm (EDSR).</summary>
internal sealed class ResidualBlockNoBN : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly ReLU relu;
    private readonly Scalar resScale; // a field: see Runtime/Scalars on per-call Scalars

    /// <param name="pytorchInit">false (BasicSR's default) scales the Kaiming init by 0.1, so the block starts near
    /// the identity; true keeps PyTorch's default conv init.</param>
    public ResidualBlockNoBN(long numFeat = 64, double resScale = 1.0, bool pytorchInit = false) : base(nameof(ResidualBlockNoBN))
    {
        conv1 = Conv2d(numFeat, numFeat, 3, 1, 1);
        conv2 = Conv2d(numFeat, numFeat, 3, 1, 1);
        relu = ReLU();
        this.resScale = resScale.ToScalar();
        if (!pytorchInit)
        {
            WeightInit.ScaledKaimingNormal(conv1, 0.1);
            WeightInit.ScaledKaimingNormal(conv2, 0.1);
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var @out = conv2.call(relu.call(conv1.call(x)));
        return x.add(@out, resScale).MoveToOuterDisposeScope();
    }

    /// <summary>Disposes the submodules and tensors this module owns, as TorchVision's modules do.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv1.Dispose();
            conv2.Dispose();
            relu.Dispose();
            resScale.Dispose();
        }
        base.Dispose(disposing);
    }
}
