using SrTrain.Config;
using SrTrain.Runtime;
using static TorchSharp.torch;

namespace SrTrain.Losses;

/// <summary>Adversarial losses on discriminator logits, as BasicSR's GANLoss and ESRGANModel compute them. The loss
/// weight is applied by the caller (the generator's term only; the discriminator's loss is unweighted).</summary>
internal static class GanLoss
{
    /// <summary>The generator's adversarial loss. <paramref name="realLogits"/> (RaGAN only; the others do not run D
    /// on the reals in the generator's step) must already be detached.</summary>
    public static Tensor Generator(GanType type, Tensor fakeLogits, Tensor? realLogits) => type switch
    {
        // ESRGAN's relativistic average GAN: the generator wants fakes judged more real than the average real and
        // reals judged less real than the average fake.
        GanType.RaGAN when realLogits is null => throw new ArgumentNullException(nameof(realLogits), "RaGAN needs the real logits"),
        GanType.RaGAN => TensorOps.Add(Bce(realLogits - fakeLogits.mean(), false), Bce(fakeLogits - realLogits.mean(), true)).mul(Scalars.Half),
        GanType.Vanilla => Bce(fakeLogits, true),
        GanType.LSGAN => nn.functional.mse_loss(fakeLogits, ones_like(fakeLogits)),
        GanType.Hinge => -fakeLogits.mean(),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The discriminator's loss, BasicSR's <c>l_d_real + l_d_fake</c>, on real and (detached) fake logits.
    /// BasicSR's SRGANModel and Real-ESRGAN back-propagate both terms in full; only ESRGAN's relativistic terms carry a
    /// factor 0.5 each.</summary>
    public static Tensor Discriminator(GanType type, Tensor realLogits, Tensor fakeLogits) =>
        TensorOps.Add(DiscriminatorReal(type, realLogits, fakeLogits), DiscriminatorFake(type, fakeLogits, realLogits));

    /// <summary>BasicSR's <c>l_d_real</c>. For RaGAN it is relative to the mean of <paramref name="fakeLogits"/>
    /// (treated as a constant); the other types ignore them.</summary>
    public static Tensor DiscriminatorReal(GanType type, Tensor realLogits, Tensor fakeLogits) => type switch
    {
        GanType.RaGAN => Bce(realLogits - fakeLogits.mean().detach(), true).mul(Scalars.Half),
        GanType.Vanilla => Bce(realLogits, true),
        GanType.LSGAN => nn.functional.mse_loss(realLogits, ones_like(realLogits)),
        GanType.Hinge => nn.functional.relu(realLogits.neg().add(Scalars.One, Scalars.One)).mean(),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>BasicSR's <c>l_d_fake</c>. For RaGAN it is relative to the mean of <paramref name="realLogits"/>
    /// (treated as a constant); the other types ignore them.</summary>
    public static Tensor DiscriminatorFake(GanType type, Tensor fakeLogits, Tensor realLogits) => type switch
    {
        GanType.RaGAN => Bce(fakeLogits - realLogits.mean().detach(), false).mul(Scalars.Half),
        GanType.Vanilla => Bce(fakeLogits, false),
        GanType.LSGAN => nn.functional.mse_loss(fakeLogits, zeros_like(fakeLogits)),
        GanType.Hinge => nn.functional.relu(fakeLogits.add(Scalars.One, Scalars.One)).mean(),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    static Tensor Bce(Tensor logits, bool targetIsReal) =>
        nn.functional.binary_cross_entropy_with_logits(logits, targetIsReal ? ones_like(logits) : zeros_like(logits));
}
