using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace SrTrain.Models;

/// <summary>A Conv2d under PyTorch's <c>torch.nn.utils.spectral_norm</c> (TorchSharp has none), with the same state:
/// parameter <c>weight_orig</c>, buffers <c>weight_u</c> (out) and <c>weight_v</c> (in·kh·kw), and <c>bias</c> if the
/// conv has one. The conv uses weight = weight_orig / σ with σ = u · (W v), W = weight_orig reshaped to (out, -1).
/// In training mode each forward first runs one power iteration, updating u and v in place without gradient
/// (v = normalize(Wᵀu), u = normalize(W v), eps 1e-12), exactly as PyTorch's forward pre-hook does; in eval mode u and
/// v are used as stored, so a loaded file reproduces PyTorch's eval output.</summary>
internal sealed class SpectralNormConv2d : Module<Tensor, Tensor>
{
    static readonly Scalar Eps = 1e-12.ToScalar(); // long-lived: see Runtime/Scalars

    private readonly Parameter weight_orig;
    private readonly Parameter? bias;
    private readonly Tensor weight_u;
    private readonly Tensor weight_v;
    private readonly long stride;
    private readonly long padding;

    public SpectralNormConv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true)
        : base(nameof(SpectralNormConv2d))
    {
        // Borrow Conv2d's initialisation so an untrained net starts like PyTorch's nn.Conv2d would.
        using (var conv = Conv2d(inChannels, outChannels, kernelSize, stride, padding, bias: bias))
        using (torch.no_grad())
        {
            weight_orig = new Parameter(conv.weight!.detach().clone());
            this.bias = bias ? new Parameter(conv.bias!.detach().clone()) : null;
        }
        using (torch.no_grad())
        {
            weight_u = Normalize(torch.randn(outChannels, device: CPU));
            weight_v = Normalize(torch.randn(inChannels * kernelSize * kernelSize, device: CPU));
        }
        this.stride = stride;
        this.padding = padding;
        RegisterComponents();
    }

    /// <summary>weight_orig / σ with the current u and v (no power iteration).</summary>
    public Tensor NormalizedWeight()
    {
        using var scope = NewDisposeScope();
        var mat = weight_orig.reshape(weight_orig.shape[0], -1);
        // u and v are cloned so that a later in-place power iteration does not invalidate this graph.
        var sigma = weight_u.clone().dot(mat.mv(weight_v.clone()));
        return (weight_orig / sigma).MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (training)
            PowerIteration();
        var w = NormalizedWeight();
        var y = F.conv2d(x, w, bias, strides: new[] { stride, stride }, padding: new[] { padding, padding });
        return y.MoveToOuterDisposeScope();
    }

    void PowerIteration()
    {
        using var _ = torch.no_grad();
        using var scope = NewDisposeScope();
        var mat = weight_orig.reshape(weight_orig.shape[0], -1);
        weight_v.copy_(Normalize(mat.t().mv(weight_u)));
        weight_u.copy_(Normalize(mat.mv(weight_v)));
    }

    /// <summary>Disposes the submodules and tensors this module owns, as TorchVision's modules do.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            weight_orig.Dispose();
            bias?.Dispose();
            weight_u.Dispose();
            weight_v.Dispose();
        }
        base.Dispose(disposing);
    }

    // F.normalize(x, dim=0, eps): x / max(‖x‖₂, eps).
    static Tensor Normalize(Tensor x) => x / x.norm().clamp_min(Eps);
}
