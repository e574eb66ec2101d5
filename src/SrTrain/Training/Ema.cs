using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Training;

/// <summary>Exponential moving average of a generator's weights (BasicSR's model_ema): after each update,
/// ema = decay·ema + (1 − decay)·current for parameters; buffers are copied. Validation and the released model use
/// the EMA, which is smoother than the raw weights late in GAN training.</summary>
public sealed class Ema
{
    readonly nn.Module _model;
    readonly nn.Module<Tensor, Tensor> _ema;
    readonly double _decay;
    // Held in fields so they live as long as the EMA: a Scalar made implicitly from a double for each call can be
    // finalised while libtorch still reads it (seen once as a "Scalar toDouble" error inside mul_).
    readonly Scalar _decayScalar;
    readonly Scalar _oneMinusDecay;

    public Ema(nn.Module model, nn.Module<Tensor, Tensor> ema, double decay)
    {
        _model = model;
        _ema = ema;
        _decay = decay;
        _decayScalar = decay.ToScalar();
        _oneMinusDecay = (1 - decay).ToScalar();
        CopyAll();
        foreach (var p in _ema.parameters()) p.requires_grad = false;
        _ema.eval();
    }

    public nn.Module<Tensor, Tensor> Model => _ema;

    /// <summary>Makes the EMA equal to the current weights (at start, or when EMA is off).</summary>
    public void CopyAll()
    {
        using var _ = no_grad();
        var src = _model.state_dict();
        foreach (var (name, t) in _ema.state_dict()) t.copy_(src[name]);
    }

    public void Update()
    {
        if (_decay == 0) { CopyAll(); return; }
        using var _ = no_grad();
        var src = _model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in _ema.named_parameters())
            p.mul_(_decayScalar).add_(src[name], alpha: _oneMinusDecay);
        var srcBuffers = _model.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        foreach (var (name, b) in _ema.named_buffers()) b.copy_(srcBuffers[name]);
    }
}
