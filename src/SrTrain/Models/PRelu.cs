using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SrTrain.Models;

/// <summary>PyTorch's PReLU (one learned slope per channel, parameter <c>weight</c>, initialised to 0.25), made without
/// TorchSharp's <c>nn.PReLU</c>, whose constructor fills the weight through a temporary Scalar (see Runtime/Scalars).</summary>
internal sealed class PRelu : nn.Module<Tensor, Tensor>
{
    static readonly Scalar Init = 0.25.ToScalar();

    private readonly Parameter weight;

    public PRelu(long numParameters) : base(nameof(PRelu))
    {
        weight = new Parameter(full(new[] { numParameters }, Init, device: CPU));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => nn.functional.prelu(x, weight);

    /// <summary>Disposes the submodules and tensors this module owns, as TorchVision's modules do.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            weight.Dispose();
        }
        base.Dispose(disposing);
    }
}
