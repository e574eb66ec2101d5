namespace SrTrain.Benchmarks;

/// <summary>The FLOPs of one benchmark step, by where they occur (see <see cref="SrganBench.StepFlops"/> for the
/// counting convention).</summary>
internal sealed record StepFlops(double Generator, double Vgg, double Discriminator)
{
    public double Total => Generator + Vgg + Discriminator;
}
