using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Training;

/// <summary>Exponential moving average of a generator's weights (BasicSR's model_ema): after each update,
/// ema = decay·ema + (1 − decay)·current for parameters; buffers are copied. Validation and the released model use
/// the EMA, which is smoother than the raw weights late in GAN training. Both networks' parameters live in flat
/// buffers (<see cref="FlatParameters"/>) in the same order, so an update is two tensor ops.</summary>
internal sealed class Ema : IDisposable
{
    readonly nn.Module _model;
    readonly FlatParameters _modelParams;
    readonly nn.Module<Tensor, Tensor> _ema;
    readonly FlatParameters _emaParams;
    readonly double _decay;
    // Fields, not per-call numbers: see Runtime/Scalars.
    readonly Scalar _decayScalar;
    readonly Scalar _oneMinusDecay;

    /// <param name="modelParams">The trained model's flat parameters (the ones its optimizer updates).</param>
    /// <param name="ema">A second instance of the same network on the same device; its parameters are flattened here.</param>
    public Ema(nn.Module model, FlatParameters modelParams, nn.Module<Tensor, Tensor> ema, double decay)
    {
        _model = model;
        _modelParams = modelParams;
        _ema = ema;
        _decay = decay;
        _decayScalar = decay.ToScalar();
        _oneMinusDecay = (1 - decay).ToScalar();
        foreach (var p in _ema.parameters()) p.requires_grad = false;
        _emaParams = new FlatParameters(ema, withGrad: false);
        var a = modelParams.Parameters.Select(p => p.Name).ToArray();
        var b = _emaParams.Parameters.Select(p => p.Name).ToArray();
        if (!a.SequenceEqual(b)) throw new ArgumentException("the EMA network's parameters differ from the model's", nameof(ema));
        CopyAll();
        _ema.eval();
    }

    public nn.Module<Tensor, Tensor> Model => _ema;

    /// <summary>Makes the EMA equal to the current weights (at start, or when EMA is off).</summary>
    public void CopyAll()
    {
        using var _ = no_grad();
        _emaParams.Data.copy_(_modelParams.Data);
        CopyBuffers();
    }

    public void Update()
    {
        if (_decay == 0) { CopyAll(); return; }
        using var _ = no_grad();
        _emaParams.Data.mul_(_decayScalar).add_(_modelParams.Data, alpha: _oneMinusDecay);
        CopyBuffers();
    }

    void CopyBuffers()
    {
        var src = _model.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        foreach (var (name, b) in _ema.named_buffers()) b.copy_(src[name]);
    }

    public void Dispose()
    {
        _emaParams.Dispose();
        _decayScalar.Dispose();
        _oneMinusDecay.Dispose();
    }
}
