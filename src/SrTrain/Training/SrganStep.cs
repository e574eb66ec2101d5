using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Distributed;
using SrTrain.Losses;
using SrTrain.Runtime;
using SrTrain.Translational;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Training;

/// <summary>One optimisation step of the generator and then the discriminator, written out like BasicSR's
/// SRGANModel.optimize_parameters: freeze D, the generator's weighted losses, unfreeze D, D's loss on fake.detach().
/// Returns the named losses it computed (only the active ones).
/// <para>Every number handed to libtorch here is a long-lived Scalar (see <see cref="Scalars"/>): the step runs beside
/// the data workers, whose GCs would otherwise finalise temporaries that libtorch is still reading.</para>
/// <para>The losses are read back to the host once per network, after backward and before the optimizer step, so the
/// GPU is never waiting for a host that waits for it in the middle of a step; a non-finite loss still skips the update
/// (its gradients are zeroed, no weight changes). Under data parallelism <see cref="IGradientSync"/> averages the
/// gradients between backward and the optimizer step.</para></summary>
internal sealed class SrganStep
{
    readonly nn.Module<Tensor, Tensor> _g;
    readonly nn.Module<Tensor, Tensor>? _d;
    readonly FlatAdam _optG;
    readonly FlatAdam? _optD;
    readonly LossesConfig _losses;
    readonly PerceptualLoss? _perceptual;
    readonly double _gradClip;
    readonly IGradientSync _sync;
    readonly Func<Tensor, Tensor>? _sharpen;
    readonly Scalar _wPix, _wGan, _wTrans, _gradClipS;

    /// <summary>When the translational term is on; the training data asks the same schedule when to cut a second corner.</summary>
    public TranslationalSchedule Translational { get; }

    public SrganStep(nn.Module<Tensor, Tensor> g, nn.Module<Tensor, Tensor>? d, FlatAdam optG, FlatAdam? optD,
        LossesConfig losses, PerceptualLoss? perceptual, double gradClip, IGradientSync? gradientSync = null,
        TranslationalSchedule? translational = null, Func<Tensor, Tensor>? sharpen = null)
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
        _wGan = losses.Gan.Weight.ToScalar();
        // The same schedule object the data pipeline asks (TrainingSetup passes it), so the two cannot disagree.
        Translational = translational ?? TranslationalSchedule.From(losses);
        _wTrans = Translational.Weight.ToScalar();
        _gradClipS = gradClip.ToScalar();
        if ((losses.Perceptual.Weight > 0 || losses.Perceptual.StyleWeight > 0) && perceptual is null)
            throw new ArgumentException("perceptual loss is on but no feature extractor was given", nameof(perceptual));
        if (losses.Gan.Weight > 0 && (d is null || optD is null))
            throw new ArgumentException("GAN loss is on but no discriminator was given", nameof(d));
        _sharpen = sharpen;
        if (UsesSharpenedGt(losses) && sharpen is null)
            throw new ArgumentException("a loss compares with the USM-sharpened GT (gt_usm) but no sharpener was given", nameof(sharpen));
    }

    static bool Active(double weight, long startStep, long step) => weight > 0 && step >= startStep;

    /// <summary>Whether any loss compares with the USM-sharpened GT (losses.*.gt_usm).</summary>
    public static bool UsesSharpenedGt(LossesConfig l) => SharpenedGtLosses(l).Count > 0;

    /// <summary>The losses (with a weight) that compare with the USM-sharpened GT.</summary>
    public static IReadOnlyList<string> SharpenedGtLosses(LossesConfig l) =>
        new[] { ("pixel", l.Pixel.GtUsm && l.Pixel.Weight > 0), ("perceptual", l.Perceptual.GtUsm && Math.Max(l.Perceptual.Weight, l.Perceptual.StyleWeight) > 0), ("gan", l.Gan.GtUsm && l.Gan.Weight > 0) }
            .Where(f => f.Item2).Select(f => f.Item1).ToList();

    public bool PixelActive(long step) => Active(_losses.Pixel.Weight, _losses.Pixel.StartStep, step);
    /// <summary>Whether the perceptual loss runs (its feature term, its style term or both; losses.perceptual.start_step
    /// applies to both, as the two come from one BasicSR PerceptualLoss).</summary>
    public bool PerceptualActive(long step) =>
        Active(Math.Max(_losses.Perceptual.Weight, _losses.Perceptual.StyleWeight), _losses.Perceptual.StartStep, step);
    public bool GanActive(long step) => Active(_losses.Gan.Weight, _losses.Gan.StartStep, step);
    public bool TranslationalActive(long step) => Translational.IsActive(step);

    /// <summary>Whether the generator has any loss at <paramref name="step"/>; without one the step updates nothing.</summary>
    public bool AnyGeneratorLoss(long step) => PixelActive(step) || PerceptualActive(step) || GanActive(step) || TranslationalActive(step);

    /// <summary>The first step at which the generator has a loss (the config guarantees one weight above 0).</summary>
    public long FirstGeneratorLossStep =>
        new[] { (_losses.Pixel.Weight, (long)_losses.Pixel.StartStep), (Math.Max(_losses.Perceptual.Weight, _losses.Perceptual.StyleWeight), _losses.Perceptual.StartStep),
                (_losses.Gan.Weight, _losses.Gan.StartStep), (Translational.Weight, Translational.StartStep) }
            .Where(t => t.Item1 > 0).Select(t => t.Item2).DefaultIfEmpty(0).Min();

    /// <summary>Runs update number <paramref name="step"/> (0-based). Returns null when the loss or G's gradient was not
    /// finite (a finite loss can still overflow in backward): then
    /// no weight was changed and the caller counts the skip.</summary>
    public Dictionary<string, double>? Run(long step, TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        bool gan = GanActive(step);
        // No generator loss at this step (e.g. losses.pixel.weight 0 and the GAN from a later step): there is nothing
        // to back-propagate, and torch.optim.Adam leaves a parameter without a gradient and its state alone. D is off
        // too (its only loss is the GAN's), so the step changes no weight; the start-up log says which steps these are.
        if (!AnyGeneratorLoss(step)) return new Dictionary<string, double>();

        // ---- generator ----
        SetRequiresGrad(_d, false);
        _optG.ZeroGrad();
        var terms = new List<(string Name, Tensor Value)>();
        var (fake, second) = Generate(step, batch);
        // Real-ESRGAN's targets: gt_usm = USMSharp(gt) once per step, after the pool (RealESRGANModel.feed_data), and
        // each loss compares with it or with the GT as its switch says (optimize_parameters' l1_gt, percep_gt, gan_gt).
        Tensor? gtUsm = null;
        if (_sharpen != null && (PixelActive(step) && _losses.Pixel.GtUsm || PerceptualActive(step) && _losses.Perceptual.GtUsm || gan && _losses.Gan.GtUsm))
            using (no_grad()) gtUsm = _sharpen(batch.Hq).detach();
        var pixGt = _losses.Pixel.GtUsm ? gtUsm! : batch.Hq;
        var percepGt = _losses.Perceptual.GtUsm ? gtUsm! : batch.Hq;
        var ganGt = _losses.Gan.GtUsm ? gtUsm! : batch.Hq;
        if (PixelActive(step))
            terms.Add(("l_g_pix", PixelLoss.Compute(_losses.Pixel.Criterion, fake, pixGt, _losses.Pixel.Eps).mul(_wPix)));
        if (PerceptualActive(step))
        {
            // Weighted inside (BasicSR's perceptual_weight and style_weight), as BasicSR's l_g_percep and l_g_style.
            var (percep, style) = _perceptual!.Forward(fake, percepGt);
            if (percep is not null) terms.Add(("l_g_percep", percep));
            if (style is not null) terms.Add(("l_g_style", style));
        }
        if (gan)
        {
            // D runs on the HQ batch here only for RaGAN (ESRGANModel: real first, then fake); SRGANModel and
            // Real-ESRGAN run it on the fakes alone. Each training forward of a spectral-norm D is one power iteration,
            // so the call pattern is part of the numbers, not only of the cost.
            bool relativistic = _losses.Gan.Type == GanType.RaGAN;
            var realLogits = relativistic ? _d!.call(ganGt).detach() : null;
            var fakeLogits = _d!.call(fake);
            terms.Add(("l_g_gan", GanLoss.Generator(_losses.Gan.Type, fakeLogits, realLogits).mul(_wGan)));
        }
        if (second is var (fake2, view))
            terms.Add(("l_g_trans", TranslationalLoss.Compute(fake, fake2, view).mul(_wTrans)));
        var lossG = terms[0].Value;
        for (int i = 1; i < terms.Count; i++) lossG = TensorOps.Add(lossG, terms[i].Value);
        terms.Add(("l_g_total", lossG));

        lossG.backward();
        // The gradient's sum rides along with the losses (one read-back): it is finite only if every gradient is.
        var log = ReadBack([.. terms, (GradSum, _optG.Parameters.Grad!.sum())]);
        bool finite = double.IsFinite(log["l_g_total"]) && double.IsFinite(log[GradSum]);
        log.Remove(GradSum);
        // Data parallel: the gradients are averaged over the ranks, and a non-finite loss or gradient on any rank skips
        // the update on every rank (one process: the step counts when both are finite). The gradients live in the
        // optimizer's flat buffer, so a skipped step only has to zero that.
        if (!_sync.Average(_optG.Parameters.Grad!, finite))
        {
            _optG.ZeroGrad();
            return null;
        }
        Clip(_optG);
        _optG.Step();

        // ---- discriminator ----
        if (gan)
        {
            SetRequiresGrad(_d, true);
            _optD!.ZeroGrad();
            // BasicSR's order: ESRGANModel first runs D on the fakes for the mean its real term is relative to, then on
            // the reals, then on the fakes again for the fake term; SRGANModel and Real-ESRGAN run reals, then fakes.
            var type = _losses.Gan.Type;
            var fakeForReal = type == GanType.RaGAN ? _d!.call(fake.detach()).detach() : null;
            var realLogits = _d!.call(ganGt);
            var lossReal = GanLoss.DiscriminatorReal(type, realLogits, fakeForReal ?? realLogits);
            var fakeLogits = _d.call(fake.detach());
            var lossD = TensorOps.Add(lossReal, GanLoss.DiscriminatorFake(type, fakeLogits, realLogits));
            lossD.backward();
            var d = ReadBack(new List<(string, Tensor)> { ("l_d", lossD), ("out_d_real", realLogits.mean()), ("out_d_fake", fakeLogits.mean()),
                (GradSum, _optD.Parameters.Grad!.sum()) });
            bool finiteD = double.IsFinite(d["l_d"]) && double.IsFinite(d[GradSum]);
            d.Remove(GradSum);
            foreach (var (k, v) in d) log[k] = v;
            // A non-finite D loss skips only D's update: G's update above was sound.
            // Losses are averaged over the steps that logged them, so d_skipped is logged on every GAN step: its mean is
            // the share of GAN steps whose D update was skipped.
            if (_sync.Average(_optD.Parameters.Grad!, finiteD))
            {
                Clip(_optD);
                _optD.Step();
                log["d_skipped"] = 0;
            }
            else
            {
                _optD.ZeroGrad();
                log["d_skipped"] = 1;
            }
        }
        return log;
    }

    /// <summary>The generator's output for the batch's LQ and, while the translational term is active, for the second
    /// view's corner. On a GPU both corners go through the generator as one batch of 2B (the networks have no BatchNorm,
    /// so each image's output and gradient are what two passes give, up to float rounding, and the GPU is better used:
    /// the term costs +33% of a step instead of +70%). With detach_second the second corner runs without a graph.</summary>
    (Tensor Fake, (Tensor Fake, SecondView View)? Second) Generate(long step, TrainingBatch batch)
    {
        if (!TranslationalActive(step)) return (_g.call(batch.Lq), null);
        long b = batch.Lq.shape[0];
        // Batches come from a source that asked the same schedule; this only guards hand-made ones.
        var view = batch.SecondView ?? throw new InvalidOperationException($"step {step}: the translational term is active but the batch has no second view");
        if (Translational.DetachSecond)
        {
            var fake = _g.call(batch.Lq);
            using (no_grad()) return (fake, (_g.call(view.Lq).detach(), view));
        }
        // On the CPU, two passes: oneDNN picks its convolution algorithm by batch size, so a batch of 2B would round
        // differently from B and B/2 and make results depend on the number of data-parallel ranks (and the GPU's gain,
        // better occupancy, does not exist there).
        if (batch.Lq.device_type != DeviceType.CUDA) return (_g.call(batch.Lq), (_g.call(view.Lq), view));
        var both = _g.call(cat(new[] { batch.Lq, view.Lq }, 0));
        return (both.narrow(0, 0, b), (both.narrow(0, b, b), view));
    }

    const string GradSum = "grad_sum";

    /// <summary>All values in one device-to-host copy.</summary>
    static Dictionary<string, double> ReadBack(List<(string Name, Tensor Value)> values)
    {
        var host = stack(values.Select(v => v.Value.detach().reshape(Array.Empty<long>())).ToArray()).to(ScalarType.Float64, CPU).data<double>().ToArray();
        var log = new Dictionary<string, double>(values.Count);
        for (int i = 0; i < values.Count; i++) log[values[i].Name] = host[i];
        return log;
    }

    void Clip(FlatAdam opt)
    {
        if (_gradClip > 0) opt.Parameters.ClipGradNorm(_gradClipS);
    }

    static void SetRequiresGrad(nn.Module? m, bool on)
    {
        if (m is null) return;
        foreach (var p in m.parameters()) p.requires_grad = on;
    }
}
