using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Distributed;
using SrTrain.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Training;

/// <summary>One optimisation step of the generator and then the discriminator, written out like BasicSR's
/// SRGANModel.optimize_parameters: freeze D, the generator's weighted losses, unfreeze D, D's loss on fake.detach().
/// Returns the named losses it computed (only the active ones).</summary>
public sealed class SrganStep
{
    readonly nn.Module<Tensor, Tensor> _g;
    readonly nn.Module<Tensor, Tensor>? _d;
    readonly optim.Optimizer _optG;
    readonly optim.Optimizer? _optD;
    readonly LossesConfig _losses;
    readonly PerceptualLoss? _perceptual;
    readonly double _gradClip;
    readonly IGradientSync _sync;
    // The loss weights as Scalars held for the whole run. A Scalar made implicitly from a double for one call is
    // garbage as soon as its handle is read, and a GC started by another thread (the data workers) can finalise it
    // while libtorch still reads it ("Unknown scalar type" inside mul). TorchSharp does not keep it alive.
    readonly Scalar _wPix, _wPercep, _wGan, _wTrans;

    /// <summary>Generator forward passes made so far (the zero-cost rule of the translational term is tested on it).</summary>
    public long GeneratorForwards { get; private set; }

    public SrganStep(nn.Module<Tensor, Tensor> g, nn.Module<Tensor, Tensor>? d, optim.Optimizer optG, optim.Optimizer? optD,
        LossesConfig losses, PerceptualLoss? perceptual, double gradClip, IGradientSync? gradientSync = null)
    {
        _sync = gradientSync ?? NoGradientSync.Instance;
        _g = g;
        _d = d;
        _optG = optG;
        _optD = optD;
        _losses = losses;
        _perceptual = perceptual;
        _gradClip = gradClip;
        _wPix = losses.Pixel.Weight.ToScalar();
        _wPercep = losses.Perceptual.Weight.ToScalar();
        _wGan = losses.Gan.Weight.ToScalar();
        _wTrans = losses.Translational.Weight.ToScalar();
        if (losses.Perceptual.Weight > 0 && perceptual is null)
            throw new ArgumentException("perceptual loss is on but no feature extractor was given", nameof(perceptual));
        if (losses.Gan.Weight > 0 && (d is null || optD is null))
            throw new ArgumentException("GAN loss is on but no discriminator was given", nameof(d));
    }

    static bool Active(double weight, int startStep, long step) => weight > 0 && step >= startStep;

    public bool PixelActive(long step) => Active(_losses.Pixel.Weight, _losses.Pixel.StartStep, step);
    public bool PerceptualActive(long step) => Active(_losses.Perceptual.Weight, _losses.Perceptual.StartStep, step);
    public bool GanActive(long step) => Active(_losses.Gan.Weight, _losses.Gan.StartStep, step);
    public bool TranslationalActive(long step) => Active(_losses.Translational.Weight, _losses.Translational.StartStep, step);

    /// <summary>Runs update number <paramref name="step"/> (0-based). Returns null when the loss was not finite: then
    /// no weight was changed and the caller counts the skip.</summary>
    public Dictionary<string, double>? Run(long step, TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        var log = new Dictionary<string, double>();
        bool gan = GanActive(step);

        // ---- generator ----
        SetRequiresGrad(_d, false);
        _optG.zero_grad();
        var fake = Generate(batch.Lq);
        Tensor lossG = zeros(1, device: fake.device).squeeze();
        if (PixelActive(step))
        {
            var l = PixelLoss.Compute(_losses.Pixel.Criterion, fake, batch.Hq, _losses.Pixel.Eps).mul(_wPix);
            lossG = lossG + l;
            log["l_g_pix"] = l.item<float>();
        }
        if (PerceptualActive(step))
        {
            var l = _perceptual!.Compute(fake, batch.Hq).mul(_wPercep);
            lossG = lossG + l;
            log["l_g_percep"] = l.item<float>();
        }
        if (gan)
        {
            var realLogits = _d!.call(batch.Hq).detach();
            var fakeLogits = _d.call(fake);
            var l = GanLoss.Generator(_losses.Gan.Type, fakeLogits, realLogits).mul(_wGan);
            lossG = lossG + l;
            log["l_g_gan"] = l.item<float>();
        }
        // The second pass exists only while the term is active: before its start step (or at weight 0) the step costs
        // exactly what it would without SrTrain's term.
        if (TranslationalActive(step))
        {
            if (batch.Lq2 is null || batch.Region1 is null || batch.Region2 is null)
                throw new InvalidOperationException($"step {step}: the translational term is active but the batch has no second corner");
            var fake2 = Generate(batch.Lq2!);
            if (_losses.Translational.DetachSecond) fake2 = fake2.detach();
            var l = TranslationalLoss.Compute(fake, batch.Region1!, fake2, batch.Region2!).mul(_wTrans);
            lossG = lossG + l;
            log["l_g_trans"] = l.item<float>();
        }
        float totalG = lossG.item<float>();
        log["l_g_total"] = totalG;
        // Data parallel: the gradients are averaged over the ranks, and a non-finite loss on any rank skips the
        // update on every rank (one process: the step counts when this loss is finite).
        bool finiteG = float.IsFinite(totalG);
        if (finiteG) lossG.backward();
        if (!_sync.Average(_g, finiteG))
        {
            _optG.zero_grad();
            return null;
        }
        Clip(_g);
        _optG.step();

        // ---- discriminator ----
        if (gan)
        {
            SetRequiresGrad(_d, true);
            _optD!.zero_grad();
            var realLogits = _d!.call(batch.Hq);
            var fakeLogits = _d.call(fake.detach());
            var lossD = GanLoss.Discriminator(_losses.Gan.Type, realLogits, fakeLogits);
            float d = lossD.item<float>();
            log["l_d"] = d;
            log["out_d_real"] = realLogits.mean().item<float>();
            log["out_d_fake"] = fakeLogits.mean().item<float>();
            // A non-finite D loss skips only D's update: G's update above was sound.
            bool finiteD = float.IsFinite(d);
            if (finiteD) lossD.backward();
            if (_sync.Average(_d, finiteD))
            {
                Clip(_d);
                _optD.step();
            }
            else
            {
                _optD.zero_grad();
                log["d_skipped"] = 1;
            }
        }
        return log;
    }

    Tensor Generate(Tensor lq)
    {
        GeneratorForwards++;
        return _g.call(lq);
    }

    void Clip(nn.Module m)
    {
        if (_gradClip > 0) nn.utils.clip_grad_norm_(m.parameters(), _gradClip);
    }

    static void SetRequiresGrad(nn.Module? m, bool on)
    {
        if (m is null) return;
        foreach (var p in m.parameters()) p.requires_grad = on;
    }
}
