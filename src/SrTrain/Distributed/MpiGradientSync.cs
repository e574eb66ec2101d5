using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Distributed;

/// <summary>Averages gradients with MPI_Allreduce on host memory: on the CPU in place on the optimizer's flat gradient
/// buffer, on a GPU on a pinned host copy of it (device → host, allreduce, host → device).</summary>
internal sealed unsafe class MpiGradientSync : IGradientSync, IDisposable
{
    readonly ProcessGroup _group;
    // GPU training: one pinned host buffer per network's gradient buffer, kept for the run.
    readonly Dictionary<Tensor, Tensor> _hostCopies = new(ReferenceEqualityComparer.Instance);
    // Long-lived Scalar (see SrganStep on implicit Scalars).
    readonly Scalar _inverseSize;

    public MpiGradientSync(ProcessGroup group)
    {
        if (group.Mpi is null) throw new ArgumentException("needs an MPI process group", nameof(group));
        _group = group;
        _inverseSize = (1.0 / group.Size).ToScalar();
    }

    public bool Average(Tensor gradients, bool finiteHere)
    {
        // The ranks agree on the step first: when any rank skips it, no gradient needs to travel.
        if (_group.AnyRank(!finiteHere)) return false;
        if (gradients.dtype != ScalarType.Float32) throw new ArgumentException($"gradients are {gradients.dtype}; MPI averaging takes float32", nameof(gradients));
        if (gradients.device_type == DeviceType.CPU)
            AllreduceSum(gradients);
        else
        {
            if (!_hostCopies.TryGetValue(gradients, out var host))
            {
                using var scope = NewDisposeScope();
                _hostCopies[gradients] = host = empty(gradients.shape, ScalarType.Float32, device: CPU).pin_memory().DetachFromDisposeScope();
            }
            host.copy_(gradients);
            AllreduceSum(host);
            gradients.copy_(host);
        }
        gradients.mul_(_inverseSize);
        return true;
    }

    void AllreduceSum(Tensor hostTensor) => _group.Mpi!.SumFloatsInPlace((float*)TensorMemory.DataPointer(hostTensor), hostTensor.numel());

    public void Dispose()
    {
        foreach (var t in _hostCopies.Values) t.Dispose();
        _hostCopies.Clear();
        _inverseSize.Dispose();
    }
}
