using SrTrain.Checkpoints;
using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Training;

/// <summary>SrTrain's Adam: torch.optim.Adam (amsgrad off, maximize off, L2 weight decay added to the gradient) on one
/// flat buffer of parameters (<see cref="FlatParameters"/>), so a step is eight tensor ops however many parameter
/// tensors the network has. Element for element it follows PyTorch's single-tensor Adam (1.13; 2.x writes the first
/// moment as lerp_, equal up to rounding):
/// <code>
/// exp_avg.mul_(β1).add_(grad, 1 − β1); exp_avg_sq.mul_(β2).addcmul_(grad, grad, 1 − β2)
/// denom = exp_avg_sq.sqrt() / sqrt(1 − β2^t) + eps;  param.addcdiv_(exp_avg, denom, −lr / (1 − β1^t))
/// </code>
/// It replaces TorchSharp's Adam for two reasons: that one makes a temporary Scalar from a double on every call
/// (<c>mul_(beta1)</c>, <c>add_(grad, alpha: 1 − beta1)</c>), which a GC on another thread can free while libtorch reads
/// it (see <see cref="Scalars"/>), and it keys its state by native tensor handle, which changes when a module is moved
/// between devices, so a CUDA checkpoint could not be resumed. Here every Scalar is a field or lives in a using, and
/// the state is saved by parameter name (<see cref="StateDict"/>).</summary>
internal sealed class FlatAdam : IDisposable, IOptimizerState
{
    readonly FlatParameters _params;
    readonly Tensor _expAvg;
    readonly Tensor _expAvgSq;
    readonly double _beta1, _beta2;
    readonly double _weightDecay;
    readonly Scalar _beta1S, _oneMinusBeta1, _beta2S, _oneMinusBeta2, _eps, _weightDecayS;

    public FlatAdam(FlatParameters parameters, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
    {
        if (parameters.Grad is null) throw new ArgumentException("Adam needs a flat buffer with gradients", nameof(parameters));
        _params = parameters;
        LearningRate = lr;
        _beta1 = beta1;
        _beta2 = beta2;
        _weightDecay = weightDecay;
        _beta1S = beta1.ToScalar();
        _oneMinusBeta1 = (1 - beta1).ToScalar();
        _beta2S = beta2.ToScalar();
        _oneMinusBeta2 = (1 - beta2).ToScalar();
        _eps = eps.ToScalar();
        _weightDecayS = weightDecay.ToScalar();
        _expAvg = zeros_like(parameters.Data).DetachFromDisposeScope();
        _expAvgSq = zeros_like(parameters.Data).DetachFromDisposeScope();
    }

    public FlatParameters Parameters => _params;

    /// <summary>The learning rate of the next <see cref="Step"/> (set by the schedule each step).</summary>
    public double LearningRate { get; set; }

    /// <summary>Updates done so far (PyTorch's per-parameter <c>state['step']</c>; the same for every parameter here).</summary>
    public long StepCount { get; private set; }

    public void ZeroGrad() => _params.ZeroGrad();

    Tensor? _trainedMask;

    /// <summary>Parameters that no loss reaches (see <see cref="FlatParameters.FindUnused"/>): torch.optim.Adam never
    /// sees a gradient for them and leaves them and their state alone, so this optimizer does too, even with weight
    /// decay. Names not in the network are an error.</summary>
    public void SkipUntouched(IReadOnlyCollection<string> names)
    {
        var unknown = names.Except(_params.Parameters.Select(p => p.Name)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"not parameters of this network: {string.Join(", ", unknown)}", nameof(names));
        _trainedMask?.Dispose();
        _trainedMask = names.Count > 0 ? _params.MaskWithout(names) : null;
    }

    public void Step()
    {
        _params.EnsureAttached();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        StepCount++;
        // Skipped parameters keep their value and moments: everything is updated, then they are put back (a copy of
        // three buffers, made only when the network has such parameters).
        var before = _trainedMask is null ? null : new[] { _params.Data.clone(), _expAvg.clone(), _expAvgSq.clone() };
        var grad = _params.Grad!;
        if (_weightDecay != 0) grad = grad.add(_params.Data, _weightDecayS);
        _expAvg.mul_(_beta1S).add_(grad, _oneMinusBeta1);
        _expAvgSq.mul_(_beta2S).addcmul_(grad, grad, _oneMinusBeta2);
        double biasCorrection1 = 1 - Math.Pow(_beta1, StepCount);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(_beta2, StepCount));
        using var bc2 = biasCorrection2Sqrt.ToScalar();
        using var stepSize = (-LearningRate / biasCorrection1).ToScalar();
        var denom = _expAvgSq.sqrt().div_(bc2).add_(_eps, Scalars.One);
        _params.Data.addcdiv_(_expAvg, denom, stepSize);
        if (before != null)
        {
            var keep = _trainedMask!.eq(Scalars.Zero);
            foreach (var (now, old) in new[] { (_params.Data, before[0]), (_expAvg, before[1]), (_expAvgSq, before[2]) })
                now.copy_(where(keep, old, now));
        }
    }

    /// <summary>The state as named CPU tensors: <c>step</c>, and <c>exp_avg.NAME</c>/<c>exp_avg_sq.NAME</c> per parameter
    /// (device- and layout-independent, so a checkpoint resumes on another device).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var sd = new Dictionary<string, Tensor> { ["step"] = tensor(StepCount, device: CPU) };
        foreach (var (name, t) in _params.Split(_expAvg)) sd["exp_avg." + name] = t.cpu();
        foreach (var (name, t) in _params.Split(_expAvgSq)) sd["exp_avg_sq." + name] = t.cpu();
        return sd;
    }

    /// <summary>Restores <see cref="StateDict"/>'s output (on any device). Throws InvalidDataException naming the first
    /// missing or mis-shaped entry.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> sd)
    {
        if (!sd.TryGetValue("step", out var step)) throw new InvalidDataException("optimizer state: no 'step'");
        var avg = _params.Split(_expAvg);
        var avgSq = _params.Split(_expAvgSq);
        int expected = 1 + avg.Count + avgSq.Count;
        if (sd.Count != expected) throw new InvalidDataException($"optimizer state: {sd.Count} entries, this network needs {expected}");
        using var noGrad = no_grad();
        foreach (var (prefix, views) in new[] { ("exp_avg.", avg), ("exp_avg_sq.", avgSq) })
            foreach (var (name, view) in views)
            {
                if (!sd.TryGetValue(prefix + name, out var t)) throw new InvalidDataException($"optimizer state: no '{prefix + name}'");
                if (!t.shape.SequenceEqual(view.shape)) throw new InvalidDataException($"optimizer state: '{prefix + name}' has shape [{string.Join(",", t.shape)}], the parameter [{string.Join(",", view.shape)}]");
                view.copy_(t);
            }
        StepCount = step.item<long>();
    }

    public void Dispose()
    {
        _trainedMask?.Dispose();
        _expAvg.Dispose();
        _expAvgSq.Dispose();
        foreach (var s in new[] { _beta1S, _oneMinusBeta1, _beta2S, _oneMinusBeta2, _eps, _weightDecayS }) s.Dispose();
    }
}
