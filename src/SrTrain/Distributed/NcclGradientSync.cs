using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Distributed;

/// <summary>Averages gradients on the GPUs with ncclAllReduce, in place on the optimizer's flat gradient buffer: rank 0
/// makes the NCCL unique id, MPI broadcasts it, every rank joins with ncclCommInitRank. No host copies.</summary>
internal sealed class NcclGradientSync : IGradientSync, IDisposable
{
    readonly NcclLibrary _nccl;
    readonly nint _comm;
    readonly ProcessGroup _group;
    readonly Scalar _inverseSize;

    public NcclGradientSync(NcclLibrary nccl, ProcessGroup group)
    {
        _nccl = nccl;
        _group = group;
        var id = group.IsRoot ? nccl.GetUniqueId() : default;
        var bytes = new byte[NcclLibrary.UniqueIdBytes];
        unsafe
        {
            byte* p = id.Bytes;
            for (int i = 0; i < bytes.Length; i++) bytes[i] = p[i];
            group.Broadcast(bytes);
            for (int i = 0; i < bytes.Length; i++) p[i] = bytes[i];
        }
        _comm = nccl.InitRank(group.Size, id, group.Rank);
        _inverseSize = (1.0 / group.Size).ToScalar();
    }

    public bool Average(Tensor gradients, bool finiteHere)
    {
        // The ranks agree on the step first (over MPI, a few bytes): when any rank skips it, no gradient needs to travel.
        if (_group.AnyRank(!finiteHere)) return false;
        if (gradients.dtype != ScalarType.Float32) throw new ArgumentException($"gradients are {gradients.dtype}; NCCL averaging takes float32", nameof(gradients));
        // On the legacy default stream, as libtorch's kernels: the scaling below runs after the sum.
        _nccl.AllReduceSumInPlace(TensorMemory.DataPointer(gradients), gradients.numel(), _comm);
        gradients.mul_(_inverseSize);
        return true;
    }

    public void Dispose()
    {
        _nccl.Destroy(_comm);
        _inverseSize.Dispose();
    }
}
