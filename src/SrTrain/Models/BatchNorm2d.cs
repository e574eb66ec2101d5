using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SrTrain.Models;

/// <summary>PyTorch's BatchNorm2d (affine, running statistics, momentum 0.1, eps 1e-5), with the same parameter and
/// buffer names (weight, bias, running_mean, running_var, num_batches_tracked), so weight files line up key for key.
/// TorchSharp's own adds 1 to num_batches_tracked with a temporary Scalar on every training forward, which a GC on
/// another thread can free while libtorch reads it (see Runtime/Scalars); this one uses a long-lived Scalar.</summary>
internal sealed class BatchNorm2d : nn.Module<Tensor, Tensor>
{
    static readonly Scalar OneBatch = 1L.ToScalar();
    const double Momentum = 0.1, Eps = 1e-5;

    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Tensor running_mean;
    private readonly Tensor running_var;
    private readonly Tensor num_batches_tracked;

    public BatchNorm2d(long numFeatures) : base(nameof(BatchNorm2d))
    {
        weight = new Parameter(ones(numFeatures, device: CPU));
        bias = new Parameter(zeros(numFeatures, device: CPU));
        running_mean = zeros(numFeatures, device: CPU);
        running_var = ones(numFeatures, device: CPU);
        num_batches_tracked = zeros(Array.Empty<long>(), dtype: ScalarType.Int64, device: CPU);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (training)
        {
            using var noGrad = no_grad();
            // The fields follow a move: TorchSharp's _toEpilog sets them to the moved tensors (MetaDeviceTests checks).
            num_batches_tracked.add_(OneBatch, OneBatch);
        }
        return nn.functional.batch_norm(x, running_mean, running_var, weight, bias, training, Momentum, Eps);
    }

    /// <summary>Disposes the submodules and tensors this module owns, as TorchVision's modules do.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            weight.Dispose();
            bias.Dispose();
            running_mean.Dispose();
            running_var.Dispose();
            num_batches_tracked.Dispose();
        }
        base.Dispose(disposing);
    }
}
