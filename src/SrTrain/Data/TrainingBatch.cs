using SrTrain.Translational;
using static TorchSharp.torch;

namespace SrTrain.Data;

/// <summary>One training batch as float32 tensors in [0,1]. Lq (B,3,h,w) and Hq (B,3,H,W) are the main pass; while
/// the translational term is active they are one corner of each full patch and <see cref="SecondView"/> carries
/// another corner's LQ and where the two share a region. The tensors are created on the thread that takes the batch, so they join its current
/// dispose scope; Dispose frees them explicitly.</summary>
internal sealed class TrainingBatch : IDisposable
{
    public required long Step { get; init; }
    public required Tensor Lq { get; init; }
    public required Tensor Hq { get; init; }
    /// <summary>Null while the translational term is off.</summary>
    public SecondView? SecondView { get; init; }
    public required IReadOnlyList<SampleInfo> Samples { get; init; }

    public void Dispose()
    {
        Lq.Dispose();
        Hq.Dispose();
        SecondView?.Lq.Dispose();
    }
}
