using SrTrain.Losses;
using SrTrain.Runtime;
using static TorchSharp.torch;

namespace SrTrain.Tests.Losses;

/// <summary>BasicSR's PerceptualLoss formulas on hand-computed values, with an identity "feature extractor".</summary>
public class PerceptualLossTests
{
    static PerceptualLossTests() => NativeRuntime.EnsureLoaded();

    // (1,1,2,2) = 1, 2, 3, 4 against zeros: |d| mean 2.5, d² mean 7.5, Frobenius √30; Gram 30 / (1·2·2) = 7.5.
    static Tensor Pred() => tensor(new float[] { 1, 2, 3, 4 }).view(1, 1, 2, 2);
    static Tensor Target() => zeros(1, 1, 2, 2);

    static PerceptualLoss Identity(double perceptualWeight, double styleWeight, string criterion) =>
        new(x => new Dictionary<string, Tensor> { ["a"] = x }, new Dictionary<string, double> { ["a"] = 0.5 },
            perceptualWeight, styleWeight, criterion);

    [Theory]
    [InlineData("l1", 2.5, 7.5)]
    [InlineData("l2", 7.5, 56.25)]
    [InlineData("fro", 5.477225575, 7.5)]
    public void Criterion_LayerWeight_PerceptualAndStyleWeights(string criterion, double featureTerm, double gramTerm)
    {
        using var scope = NewDisposeScope();
        var (percep, style) = Identity(2.0, 3.0, criterion).Forward(Pred(), Target());
        Assert.Equal(2.0 * 0.5 * featureTerm, percep!.item<float>(), 4);
        Assert.Equal(3.0 * 0.5 * gramTerm, style!.item<float>(), 4);
    }

    [Fact]
    public void ZeroWeights_GiveNoTerm_AsBasicSRsNone()
    {
        using var scope = NewDisposeScope();
        var (percep, style) = Identity(1.0, 0.0, "l1").Forward(Pred(), Target());
        Assert.NotNull(percep);
        Assert.Null(style);
        (percep, style) = Identity(0.0, 1.0, "l1").Forward(Pred(), Target());
        Assert.Null(percep);
        Assert.NotNull(style);
    }

    [Fact]
    public void GramMat_IsFeaturesTimesTheirTranspose_OverCHW()
    {
        using var scope = NewDisposeScope();
        // Channels (1, 2) and (3, 4), h 1, w 2: [[5, 11], [11, 25]] / (2·1·2).
        var g = PerceptualLoss.GramMat(tensor(new float[] { 1, 2, 3, 4 }).view(1, 2, 1, 2));
        Assert.Equal(new long[] { 1, 2, 2 }, g.shape);
        Assert.Equal(new[] { 1.25f, 2.75f, 2.75f, 6.25f }, g.data<float>().ToArray());
    }

    [Fact]
    public void UnknownCriterion_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Identity(1, 0, "l3"));
        Assert.Contains("l1, l2, fro", e.Message);
    }
}
