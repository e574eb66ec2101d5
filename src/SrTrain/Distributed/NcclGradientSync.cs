using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Distributed;

/// <summary>Averages gradients on the GPUs with ncclAllReduce on a flat device buffer per network: rank 0 makes the
/// NCCL unique id, MPI broadcasts it, every rank joins with ncclCommInitRank. No host copies.</summary>
public sealed class NcclGradientSync : IGradientSync, IDisposable
{
    readonly NcclLibrary _nccl;
    readonly nint _comm;
    readonly Device _device;
    readonly Dictionary<nn.Module, FlatGradients> _buffers = new(ReferenceEqualityComparer.Instance);
    readonly Scalar _inverseSize, _zero, _one;

    public NcclGradientSync(NcclLibrary nccl, ProcessGroup group, Device device)
    {
        _nccl = nccl;
        _device = device;
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
        _zero = 0.0f.ToScalar();
        _one = 1.0f.ToScalar();
    }

    public bool Average(nn.Module network, bool finiteHere)
    {
        if (!_buffers.TryGetValue(network, out var flat))
            _buffers[network] = flat = new FlatGradients(network, _device, pinned: false);
        flat.Pack(finiteHere, _zero, _one);
        _nccl.AllReduceSumInPlace(TensorMemory.DataPointer(flat.Buffer), flat.Count + 1, _comm);
        if (flat.NonFiniteRanks() != 0) return false; // item() waits for the all-reduce
        flat.Gradients.mul_(_inverseSize);
        flat.Unpack();
        return true;
    }

    public void Dispose()
    {
        foreach (var f in _buffers.Values) f.Dispose();
        _buffers.Clear();
        _nccl.Destroy(_comm);
        _inverseSize.Dispose();
        _zero.Dispose();
        _one.Dispose();
    }
}
