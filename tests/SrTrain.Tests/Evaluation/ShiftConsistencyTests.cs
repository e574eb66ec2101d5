using SrTrain.Evaluation;
using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Tests.Evaluation;

public class ShiftConsistencyTests
{
    static ShiftConsistencyTests() => NativeRuntime.EnsureLoaded();

    static Tensor Nearest(Tensor x, int scale) =>
        nn.functional.interpolate(x, scale_factor: new double[] { scale, scale }, mode: InterpolationMode.Nearest);

    [Fact]
    public void ShiftConsistency_IsZero_ForNearestNeighbourUpscaler()
    {
        using var lq = torch.rand(1, 3, 16, 20, generator: new torch.Generator(3));
        double d = ShiftConsistency.Measure(x => Nearest(x, 4), lq, scale: 4, k: 3);
        Assert.Equal(0.0, d);
    }

    [Fact]
    public void ShiftConsistency_IsPositive_ForGeneratorWithPositionDependentPattern()
    {
        using var lq = torch.rand(1, 3, 16, 20, generator: new torch.Generator(3));
        // Adds 0.05·sin(column) of the absolute output column: the same content gets a different pattern once shifted.
        Tensor Patterned(Tensor x)
        {
            var up = Nearest(x, 4);
            var cols = torch.arange(up.shape[3], dtype: ScalarType.Float32).sin().mul(0.05f);
            return up + cols.view(1, 1, 1, -1);
        }
        double d = ShiftConsistency.Measure(Patterned, lq, scale: 4, k: 3);
        // Shifting by 12 output columns changes sin(c) to sin(c-12); the mean |Δ| of 0.05·(sin c − sin(c−12)) is ≈ 0.05·|2 sin 6|·2/π ≈ 0.018.
        Assert.InRange(d, 0.01, 0.03);
    }
}
