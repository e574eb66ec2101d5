using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Models;
using SrTrain.Runtime;
using SrTrain.Training;
using SrTrain.Translational;
using static TorchSharp.torch;

namespace SrTrain.Tests.Training;

public class SrganStepTests
{
    public SrganStepTests() => NativeRuntime.EnsureLoaded();

    static (SrganStep Step, SrVggNetCompact G, FlatAdam Opt) Make(LossesConfig losses)
    {
        manual_seed(0);
        var g = new SrVggNetCompact(3, 3, 8, 1, 4);
        var d = new UNetDiscriminatorSN(3, 4);
        var optG = new FlatAdam(new FlatParameters(g, withGrad: true), 1e-3);
        var optD = new FlatAdam(new FlatParameters(d, withGrad: true), 1e-3);
        return (new SrganStep(g, d, optG, optD, losses, null, 0), g, optG);
    }

    /// <summary>Counts the images that go through <paramref name="g"/> (a forward hook: the step calls it with .call()).</summary>
    static Func<long> CountImages(SrVggNetCompact g)
    {
        long images = 0;
        g.register_forward_hook((_, input, output) =>
        {
            images += input.shape[0];
            return output;
        });
        return () => images;
    }

    static TrainingBatch Batch(bool corners, float value = float.NaN)
    {
        manual_seed(1);
        var crop1 = TranslationalCrops.Compute(32 + 4 * 2, 4, 2, new Corner(0, 0));
        var crop2 = TranslationalCrops.Compute(32 + 4 * 2, 4, 2, new Corner(1, 1));
        var lq = rand(2, 3, 8, 8);
        if (!float.IsNaN(value)) lq[0, 0, 0, 0] = tensor(value);
        return new TrainingBatch
        {
            Step = 0,
            Lq = lq,
            Hq = rand(2, 3, 32, 32),
            SecondView = corners ? new SecondView(rand(2, 3, 8, 8), crop1, crop2) : null,
            Samples = Array.Empty<SampleInfo>(),
        };
    }

    static LossesConfig Losses(double translationalWeight, int translationalStart) => new()
    {
        Gan = new GanLossConfig { Weight = 0.01, StartStep = 0 },
        Translational = new TranslationalLossConfig { Weight = translationalWeight, StartStep = translationalStart, Shift = 2 },
    };

    [Fact]
    public void TranslationalTerm_CostsNoGeneratorPass_WhenOffOrBeforeItsStart()
    {
        // Weight 0: the batch's 2 images go through the generator once, and there is no l_g_trans.
        var (off, offG, _) = Make(Losses(0, 0));
        var offImages = CountImages(offG);
        var log = off.Run(5, Batch(corners: false))!;
        Assert.Equal(2, offImages());
        Assert.DoesNotContain("l_g_trans", log.Keys);

        // Weight > 0 but before the start step: still once.
        var (later, laterG, _) = Make(Losses(1.0, 10));
        var laterImages = CountImages(laterG);
        later.Run(9, Batch(corners: false));
        Assert.Equal(2, laterImages());

        // From the start step: the second corners too (2 + 2·2), and the term is logged.
        var on = later.Run(10, Batch(corners: true))!;
        Assert.Equal(6, laterImages());
        Assert.True(on["l_g_trans"] > 0);
    }

    [Fact]
    public void NonFiniteLoss_SkipsTheStep_WithoutTouchingTheWeights()
    {
        var (step, g, _) = Make(Losses(0, 0));
        var before = g.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        Assert.Null(step.Run(0, Batch(corners: false, value: float.PositiveInfinity)));
        foreach (var (k, v) in g.state_dict())
            Assert.True(v.eq(before[k]).all().item<bool>(), k);

        // A finite batch afterwards trains normally.
        Assert.NotNull(step.Run(1, Batch(corners: false)));
        Assert.Contains(g.state_dict(), kv => !kv.Value.eq(before[kv.Key]).all().item<bool>());
    }

    [Fact]
    public void BothCornersAsOneBatch_GiveTheLossAndGradientsOfTwoPasses()
    {
        // The step runs the two corners through G as one batch of 2B; the reference runs them one after the other.
        manual_seed(0);
        var g = new SrVggNetCompact(3, 3, 8, 2, 4);
        var batch = Batch(corners: true);
        var view = batch.SecondView!;
        var (region1, region2) = (view.MainRegion, view.Region);

        var fake = g.call(batch.Lq);
        var fake2 = g.call(view.Lq);
        var twoPasses = TranslationalLoss.Compute(fake, region1, fake2, region2);
        twoPasses.backward();
        var gradsTwo = g.parameters().Select(p => p.grad!.clone()).ToArray();
        foreach (var p in g.parameters()) p.grad = null;

        var both = g.call(cat(new[] { batch.Lq, view.Lq }, 0));
        var oneBatch = TranslationalLoss.Compute(both.narrow(0, 0, 2), region1, both.narrow(0, 2, 2), region2);
        oneBatch.backward();
        var gradsOne = g.parameters().Select(p => p.grad!).ToArray();

        Assert.True(twoPasses.item<float>() > 0);
        Assert.Equal(twoPasses.item<float>(), oneBatch.item<float>(), 6);
        for (int i = 0; i < gradsOne.Length; i++)
            Assert.True(allclose(gradsOne[i], gradsTwo[i], rtol: 1e-4, atol: 1e-7), $"parameter {i}: gradients differ");
    }

    [Fact]
    public void StepWithoutAnyGeneratorLoss_UpdatesNothing_AndTheFirstLossStepTrains()
    {
        // Pixel weight 0 and the GAN from step 3: steps 0–2 have no loss. BasicSR would call backward on a plain 0;
        // here such a step leaves G, D and both optimizers as they were (torch.optim.Adam skips a parameter without
        // a gradient), and the first step with a loss trains as usual.
        var losses = new LossesConfig { Pixel = new PixelLossConfig { Weight = 0 }, Gan = new GanLossConfig { Weight = 0.01, StartStep = 3 } };
        manual_seed(0);
        var g = new SrVggNetCompact(3, 3, 8, 1, 4);
        var d = new UNetDiscriminatorSN(3, 4);
        var optG = new FlatAdam(new FlatParameters(g, withGrad: true), 1e-3, weightDecay: 0.1);
        var optD = new FlatAdam(new FlatParameters(d, withGrad: true), 1e-3, weightDecay: 0.1);
        var step = new SrganStep(g, d, optG, optD, losses, null, 0);
        var images = CountImages(g);
        Assert.Equal(3, step.FirstGeneratorLossStep);
        var gBefore = optG.Parameters.Data.clone();
        var dBefore = optD.Parameters.Data.clone();

        var idle = step.Run(2, Batch(corners: false));
        Assert.NotNull(idle);
        Assert.Empty(idle!);
        Assert.True(optG.Parameters.Data.eq(gBefore).all().item<bool>());
        Assert.True(optD.Parameters.Data.eq(dBefore).all().item<bool>());
        Assert.Equal(0, optG.StepCount);
        Assert.Equal(0, optD.StepCount);
        Assert.Equal(0, images());

        var trained = step.Run(3, Batch(corners: false))!;
        Assert.Equal(new[] { "d_skipped", "l_d", "l_g_gan", "l_g_total", "out_d_fake", "out_d_real" }, trained.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1, optG.StepCount);
        Assert.False(optG.Parameters.Data.eq(gBefore).all().item<bool>());
    }

    /// <summary>x4 nearest upscaling times sqrt(gain): at gain 0 the output and the L1 loss are finite, but
    /// d sqrt/d gain is infinite.</summary>
    sealed class SqrtGain : nn.Module<Tensor, Tensor>
    {
        public readonly TorchSharp.Modules.Parameter gain = new(zeros(1));

        public SqrtGain() : base(nameof(SqrtGain)) => RegisterComponents();

        public override Tensor forward(Tensor x) =>
            nn.functional.interpolate(x, scale_factor: new[] { 4.0, 4.0 }, mode: InterpolationMode.Nearest) * gain.sqrt();
    }

    [Fact]
    public void NonFiniteGradient_OfAFiniteLoss_SkipsTheStep()
    {
        // Only the loss was checked: an infinite gradient went into Adam and made the weights NaN.
        var g = new SqrtGain();
        using var opt = new FlatAdam(new FlatParameters(g, withGrad: true), 1e-3);
        var step = new SrganStep(g, null, opt, null, new LossesConfig(), null, 0);
        Assert.Null(step.Run(0, Batch(corners: false)));
        Assert.Equal(0f, g.gain.item<float>());
        Assert.Equal(0, opt.StepCount);
        Assert.Equal(0f, opt.Parameters.Grad!.abs().sum().item<float>());   // zeroed, not left for the next step
    }

    [Fact]
    public void ActiveTranslationalTerm_WithoutASecondCorner_IsAnError()
    {
        var (step, _, _) = Make(Losses(1.0, 0));
        Assert.Throws<InvalidOperationException>(() => step.Run(0, Batch(corners: false)));
    }
}
