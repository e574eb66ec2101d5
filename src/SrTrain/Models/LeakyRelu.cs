using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Models;

/// <summary>LeakyReLU whose slope is a long-lived Scalar (one of <see cref="Runtime.Scalars"/>, shared, not owned).
/// TorchSharp's <c>nn.LeakyReLU</c> and <c>functional.leaky_relu</c> take a double and make a temporary Scalar on every
/// forward, which a GC on another thread can free while libtorch reads it (see Runtime/Scalars). No parameters, so
/// state dicts are unchanged.</summary>
internal sealed class LeakyRelu : nn.Module<Tensor, Tensor>
{
    private readonly Scalar slope;
    private readonly bool inplace;

    public LeakyRelu(Scalar negativeSlope, bool inplace = false) : base(nameof(LeakyRelu))
    {
        slope = negativeSlope;
        this.inplace = inplace;
    }

    public override Tensor forward(Tensor x) => inplace ? x.leaky_relu_(slope).alias() : x.leaky_relu(slope);
}
