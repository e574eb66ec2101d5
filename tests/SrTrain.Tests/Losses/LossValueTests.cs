using SrTrain.Config;
using SrTrain.Losses;
using SrTrain.Runtime;
using static TorchSharp.torch;

namespace SrTrain.Tests.Losses;

/// <summary>Every loss against values worked out by hand on tiny tensors.</summary>
public class LossValueTests
{
    public LossValueTests() => NativeRuntime.EnsureLoaded();

    static readonly Tensor Pred = tensor(new float[] { 0.5f, 0.0f, 1.0f, 0.25f }).reshape(1, 1, 2, 2);
    static readonly Tensor Target = tensor(new float[] { 0.0f, 0.0f, 0.5f, 0.75f }).reshape(1, 1, 2, 2);

    [Fact]
    public void PixelLosses_MatchHandComputedValues()
    {
        // |d| = .5, 0, .5, .5 → L1 = 1.5/4; d² = .25, 0, .25, .25 → L2 = .75/4.
        Assert.Equal(0.375, PixelLoss.Compute(PixelCriterion.L1, Pred, Target).item<float>(), 6);
        Assert.Equal(0.1875, PixelLoss.Compute(PixelCriterion.L2, Pred, Target).item<float>(), 6);
        // Charbonnier with eps 1e-2: (3·sqrt(.25 + .01) + sqrt(.01)) / 4.
        double expected = (3 * Math.Sqrt(0.26) + Math.Sqrt(0.01)) / 4;
        Assert.Equal(expected, PixelLoss.Compute(PixelCriterion.Charbonnier, Pred, Target, 1e-2).item<float>(), 5);
    }

    static double Softplus(double x) => Math.Log(1 + Math.Exp(x));
    // BCE with logits: target 1 → softplus(-x); target 0 → softplus(x).

    [Fact]
    public void GanLosses_ForTheGenerator_MatchHandComputedValues()
    {
        var fake = tensor(new float[] { 1f, -1f });
        var real = tensor(new float[] { 2f, 0f });
        // Vanilla: mean softplus(-fake) = (softplus(-1) + softplus(1)) / 2.
        Assert.Equal((Softplus(-1) + Softplus(1)) / 2, GanLoss.Generator(GanType.Vanilla, fake, real).item<float>(), 5);
        // LSGAN: mean (fake - 1)² = (0 + 4) / 2.
        Assert.Equal(2.0, GanLoss.Generator(GanType.LSGAN, fake, real).item<float>(), 5);
        // Hinge: -mean fake = 0.
        Assert.Equal(0.0, GanLoss.Generator(GanType.Hinge, fake, real).item<float>(), 5);
        // RaGAN: mean(fake) = 0, mean(real) = 1. real - mean(fake) = (2, 0) with target 0; fake - mean(real) = (0, -2)
        // with target 1. ((softplus(2) + softplus(0)) / 2 + (softplus(0) + softplus(2)) / 2) / 2.
        double ra = (Softplus(2) + Softplus(0)) / 2;
        Assert.Equal(ra, GanLoss.Generator(GanType.RaGAN, fake, real).item<float>(), 5);
    }

    [Fact]
    public void GanLosses_ForTheDiscriminator_MatchHandComputedValues()
    {
        var real = tensor(new float[] { 2f, 0f });
        var fake = tensor(new float[] { 1f, -1f });
        // BasicSR's SRGANModel (and Real-ESRGAN) back-propagate l_d_real + l_d_fake, each in full.
        // Vanilla: mean softplus(-real) + mean softplus(fake).
        double vanilla = (Softplus(-2) + Softplus(0)) / 2 + (Softplus(1) + Softplus(-1)) / 2;
        Assert.Equal(vanilla, GanLoss.Discriminator(GanType.Vanilla, real, fake).item<float>(), 5);
        // LSGAN: mean (real-1)² + mean fake² = (1 + 1)/2 + (1 + 1)/2 = 2.
        Assert.Equal(2.0, GanLoss.Discriminator(GanType.LSGAN, real, fake).item<float>(), 5);
        // Hinge: mean relu(1 - real) + mean relu(1 + fake) = (0 + 1)/2 + (2 + 0)/2 = 1.5.
        Assert.Equal(1.5, GanLoss.Discriminator(GanType.Hinge, real, fake).item<float>(), 5);
        // RaGAN: real - mean(fake) = (2, 0) target 1; fake - mean(real) = (0, -2) target 0.
        double ra = ((Softplus(-2) + Softplus(0)) / 2 + (Softplus(0) + Softplus(-2)) / 2) / 2;
        Assert.Equal(ra, GanLoss.Discriminator(GanType.RaGAN, real, fake).item<float>(), 5);
    }

    [Fact]
    public void PerceptualLoss_WeighsEachLayersL1()
    {
        // A fake "feature extractor": layer a = x, layer b = 2x. L1 over a is 0.375, over b 0.75.
        var loss = new PerceptualLoss(x => new Dictionary<string, Tensor> { ["a"] = x, ["b"] = x * 2 },
            new Dictionary<string, double> { ["a"] = 1.0, ["b"] = 0.1 });
        Assert.Equal(0.375 + 0.075, loss.Compute(Pred, Target).item<float>(), 5);
    }

    [Fact]
    public void PerceptualLoss_GivesGradientToThePredictionOnly()
    {
        var pred = Pred.clone().requires_grad_(true);
        var target = Target.clone().requires_grad_(true);
        var loss = new PerceptualLoss(x => new Dictionary<string, Tensor> { ["a"] = x * 3 }, new Dictionary<string, double> { ["a"] = 1.0 });
        loss.Compute(pred, target).backward();
        Assert.NotNull(pred.grad);
        Assert.True(target.grad is null || target.grad.abs().sum().item<float>() == 0);
    }
}
