using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Distributed;

/// <summary>Averages gradients with MPI_Allreduce on host memory: on the CPU directly on a flat copy of the
/// gradients, on a GPU on a pinned host copy (device → host, allreduce, host → device).</summary>
public sealed unsafe class MpiGradientSync : IGradientSync, IDisposable
{
    // MPI_Allreduce counts are ints; larger buffers go in pieces.
    const long MaxChunk = 1L << 30;

    readonly ProcessGroup _group;
    readonly bool _pinned;
    readonly Dictionary<nn.Module, FlatGradients> _buffers = new(ReferenceEqualityComparer.Instance);
    // Long-lived Scalars (see SrganStep on implicit Scalars).
    readonly Scalar _inverseSize, _zero, _one;

    public MpiGradientSync(ProcessGroup group, bool deviceIsCuda)
    {
        if (group.Mpi is null) throw new ArgumentException("needs an MPI process group", nameof(group));
        _group = group;
        _pinned = deviceIsCuda;
        _inverseSize = (1.0 / group.Size).ToScalar();
        _zero = 0.0f.ToScalar();
        _one = 1.0f.ToScalar();
    }

    public bool Average(nn.Module network, bool finiteHere)
    {
        if (!_buffers.TryGetValue(network, out var flat))
            _buffers[network] = flat = new FlatGradients(network, CPU, _pinned);
        flat.Pack(finiteHere, _zero, _one);
        var mpi = _group.Mpi!;
        float* p = (float*)TensorMemory.DataPointer(flat.Buffer);
        long total = flat.Count + 1;
        for (long offset = 0; offset < total; offset += MaxChunk)
            mpi.AllreduceInPlace(p + offset, Math.Min(MaxChunk, total - offset), mpi.Float, mpi.OpSum);
        if (p[flat.Count] != 0) return false;
        flat.Gradients.mul_(_inverseSize);
        flat.Unpack();
        return true;
    }

    public void Dispose()
    {
        foreach (var f in _buffers.Values) f.Dispose();
        _buffers.Clear();
        _inverseSize.Dispose();
        _zero.Dispose();
        _one.Dispose();
    }
}
