using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Distributed;

/// <summary>One network's gradients packed into a single contiguous float32 buffer (plus one slot for the "loss was
/// not finite here" flag), so a step costs one collective call per network instead of one per tensor (~ 100 for
/// RRDBNet). Each parameter owns a fixed slice of the buffer. Built once per network and kept for the run.</summary>
sealed class FlatGradients : IDisposable
{
    readonly TorchSharp.Modules.Parameter[] _params;
    readonly Tensor[] _slices;
    readonly Tensor _flag;

    public Tensor Buffer { get; }
    /// <summary>The gradient part of <see cref="Buffer"/> (without the flag slot).</summary>
    public Tensor Gradients { get; }
    public long Count { get; }

    public FlatGradients(nn.Module network, Device device, bool pinned)
    {
        _params = network.parameters().ToArray();
        Count = _params.Sum(p => p.numel());
        var buffer = empty(Count + 1, ScalarType.Float32, device: device);
        if (pinned)
        {
            var p = buffer.pin_memory();
            buffer.Dispose();
            buffer = p;
        }
        Buffer = buffer.DetachFromDisposeScope();
        Gradients = Buffer.narrow(0, 0, Count).DetachFromDisposeScope();
        _flag = Buffer.narrow(0, Count, 1).DetachFromDisposeScope();
        _slices = new Tensor[_params.Length];
        long offset = 0;
        for (int i = 0; i < _params.Length; i++)
        {
            long n = _params[i].numel();
            _slices[i] = Buffer.narrow(0, offset, n).view(_params[i].shape).DetachFromDisposeScope();
            offset += n;
        }
    }

    /// <summary>Copies the gradients in (a parameter without one contributes zeros) and sets the flag slot.</summary>
    public void Pack(bool finiteHere, Scalar zero, Scalar one)
    {
        using var scope = NewDisposeScope();
        for (int i = 0; i < _params.Length; i++)
        {
            var g = _params[i].grad;
            if (g is null) _slices[i].zero_();
            else _slices[i].copy_(g);
        }
        _flag.fill_(finiteHere ? zero : one);
    }

    /// <summary>The flag slot after the sum over ranks: how many ranks had a non-finite loss.</summary>
    public float NonFiniteRanks() => _flag.item<float>();

    /// <summary>Copies the (averaged) buffer back into the parameters' gradients.</summary>
    public void Unpack()
    {
        using var scope = NewDisposeScope();
        for (int i = 0; i < _params.Length; i++)
            _params[i].grad?.copy_(_slices[i]);
    }

    public void Dispose()
    {
        foreach (var s in _slices) s.Dispose();
        _flag.Dispose();
        Gradients.Dispose();
        Buffer.Dispose();
    }
}
