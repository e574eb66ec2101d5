using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SrTrain.Training;

/// <summary>All parameters of a network in one contiguous buffer, each parameter a view into it, and (for a trained
/// network) all their gradients in a second buffer the same way. The optimizer, EMA, gradient clipping and the
/// gradient all-reduce then work on one tensor with a handful of ops, where a per-tensor loop costs ~8 kernel launches
/// for each of RRDBNet's ~700 parameter tensors (PyTorch's multi-tensor Adam exists for the same reason).
/// <para>How: under no_grad each parameter is <c>set_</c> to its view of <see cref="Data"/> (same TensorImpl, so the
/// module keeps its Parameter objects and their names), and its <c>.grad</c> is set to its view of <see cref="Grad"/>.
/// Autograd accumulates into an existing gradient in place, so backward writes straight into the flat buffer.
/// Build it after the module is on its device and never move the module afterwards (that replaces the Parameters);
/// clear gradients with <see cref="ZeroGrad"/>, never with <c>module.zero_grad()</c> (that sets them to null).</para></summary>
internal sealed class FlatParameters : IDisposable
{
    readonly (string Name, Parameter Param, long Offset)[] _entries;

    /// <summary>Every parameter, in the module's named_parameters() order.</summary>
    public Tensor Data { get; }

    /// <summary>Their gradients, in the same layout; null when built without gradients (the EMA copy).</summary>
    public Tensor? Grad { get; }

    public long Count => Data.shape[0];

    public IEnumerable<(string Name, Parameter Param)> Parameters => _entries.Select(e => (e.Name, e.Param));

    public FlatParameters(nn.Module module, bool withGrad)
    {
        var named = module.named_parameters().ToArray();
        if (named.Length == 0) throw new ArgumentException("the module has no parameters", nameof(module));
        var dtype = named[0].parameter.dtype;
        var device = named[0].parameter.device;
        foreach (var (name, p) in named)
            if (p.dtype != dtype || p.device.type != device.type || p.device.index != device.index)
                throw new ArgumentException($"parameter {name} is {p.dtype} on {p.device}, the first is {dtype} on {device}: one flat buffer needs one dtype and device");

        long total = named.Sum(n => n.parameter.numel());
        _entries = new (string, Parameter, long)[named.Length];
        using var noGrad = no_grad();
        Data = empty(total, dtype: dtype, device: device).DetachFromDisposeScope();
        Grad = withGrad ? zeros(total, dtype: dtype, device: device).DetachFromDisposeScope() : null;
        long offset = 0;
        for (int i = 0; i < named.Length; i++)
        {
            var (name, p) = named[i];
            long n = p.numel();
            using (var view = Data.narrow(0, offset, n).view(p.shape))
            {
                view.copy_(p);
                p.set_(view);
            }
            if (Grad is not null)
            {
                using var g = Grad.narrow(0, offset, n).view(p.shape);
                p.grad = g;
            }
            _entries[i] = (name, p, offset);
            offset += n;
        }
    }

    static readonly Scalar ClipEps = 1e-6.ToScalar();

    /// <summary>torch.nn.utils.clip_grad_norm_ over all gradients: scales them by min(1, maxNorm / (‖g‖₂ + 1e-6)),
    /// on the device, without reading the norm back to the host.</summary>
    public void ClipGradNorm(Scalar maxNorm)
    {
        if (Grad is null) throw new InvalidOperationException("no gradients to clip");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var coef = Grad.norm().add(ClipEps, Runtime.Scalars.One).reciprocal_().mul_(maxNorm).clamp_max_(Runtime.Scalars.One);
        Grad.mul_(coef);
    }

    /// <summary>Sets every gradient to zero, keeping the flat layout.</summary>
    public void ZeroGrad() => Grad?.zero_();

    /// <summary>Throws when a parameter is no longer its view of <see cref="Data"/> or its gradient no longer its view of
    /// <see cref="Grad"/>: <c>module.zero_grad()</c> sets gradients to null (backward then makes new ones), and a
    /// dtype or device move replaces the parameters. Either way the optimizer would update buffers the network no longer
    /// reads, and training would go on without learning. Cheap (no device work): run before each optimizer step.
    /// Identity is judged by dtype, device and storage offset (TorchSharp exposes no data pointer), so a new tensor that
    /// happens to start at the same offset as its view, such as the first parameter's, is caught through the others.</summary>
    public void EnsureAttached()
    {
        var dtype = Data.dtype;
        var device = Data.device_type;
        foreach (var (name, p, offset) in _entries)
        {
            string? why = null;
            // A module moved to another dtype or device gets new Parameters and disposes the old ones this holds.
            if (p.IsInvalid || p.dtype != dtype || p.device_type != device || p.storage_offset() != offset)
                why = "the parameter was replaced (a dtype or device move, or set_/load that swapped its storage)";
            else if (Grad is not null)
            {
                using var g = p.grad;
                if (g is null) why = "its gradient was set to None (module.zero_grad(); clear gradients with the optimizer's ZeroGrad)";
                else if (g.dtype != dtype || g.storage_offset() != offset) why = "its gradient is no longer the flat buffer's view (module.zero_grad() before a backward)";
            }
            if (why != null)
                throw new InvalidOperationException($"parameter {name} is no longer part of the optimizer's flat buffers: {why}; its updates would be lost");
        }
    }

    /// <summary>The parameters that no output of <paramref name="forward"/> depends on (torch.autograd.grad with
    /// allow_unused). torch.optim.Adam leaves a parameter without a gradient alone; in a flat buffer every gradient
    /// exists, so <see cref="FlatAdam"/> is told which to skip. Run it in eval mode on a small input: it does one
    /// forward and one backward, and must not advance a spectral norm's power iteration.</summary>
    public IReadOnlyList<string> FindUnused(Func<Tensor> forward)
    {
        using var scope = NewDisposeScope();
        var output = forward();
        var inputs = _entries.Select(e => (Tensor)e.Param).ToArray();
        var grads = torch.autograd.grad(new[] { output.sum() }, inputs, allow_unused: true);
        return _entries.Where((e, i) => grads[i] is null || grads[i].IsInvalid).Select(e => e.Name).ToList();
    }

    /// <summary>A 0/1 mask in <see cref="Data"/>'s layout: 0 for the named parameters.</summary>
    public Tensor MaskWithout(IReadOnlyCollection<string> names)
    {
        var mask = ones_like(Data).DetachFromDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, p, offset) in _entries)
            if (names.Contains(name)) mask.narrow(0, offset, p.numel()).zero_();
        return mask;
    }

    /// <summary>A view of the flat tensor <paramref name="flat"/> (laid out like <see cref="Data"/>) for each parameter,
    /// by name: for saving per-parameter state.</summary>
    public Dictionary<string, Tensor> Split(Tensor flat)
    {
        var result = new Dictionary<string, Tensor>(_entries.Length);
        foreach (var (name, p, offset) in _entries)
            result[name] = flat.narrow(0, offset, p.numel()).view(p.shape);
        return result;
    }

    public void Dispose()
    {
        Data.Dispose();
        Grad?.Dispose();
    }
}
