using SrTrain.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SrTrain.Models;

/// <summary>BasicSR's <c>RRDB</c>: three residual dense blocks (rdb1 … rdb3) inside one more 0.2-scaled residual.</summary>
internal sealed class Rrdb : Module<Tensor, Tensor>
{
    private readonly ResidualDenseBlock rdb1;
    private readonly ResidualDenseBlock rdb2;
    private readonly ResidualDenseBlock rdb3;

    public Rrdb(long numFeat, long numGrowCh = 32) : base(nameof(Rrdb))
    {
        rdb1 = new ResidualDenseBlock(numFeat, numGrowCh);
        rdb2 = new ResidualDenseBlock(numFeat, numGrowCh);
        rdb3 = new ResidualDenseBlock(numFeat, numGrowCh);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var @out = rdb3.call(rdb2.call(rdb1.call(x)));
        // In place on rdb3's fresh output (nothing keeps it for backward); same roundings as out * 0.2 + x.
        return @out.mul_(Scalars.Point2).add_(x, Scalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>Disposes the submodules and tensors this module owns, as TorchVision's modules do.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            rdb1.Dispose();
            rdb2.Dispose();
            rdb3.Dispose();
        }
        base.Dispose(disposing);
    }
}
