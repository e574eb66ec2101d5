using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Translational;
using Xunit.Abstractions;
using static SrTrain.Tests.Data.DataTestUtil;
using static TorchSharp.torch;

namespace SrTrain.Tests.Translational;

/// <summary>What the translational term sees, through the real loss (the data pipeline's batches and
/// <see cref="TranslationalLoss.Compute(Tensor, Tensor, SecondView)"/>, as the training step calls it) for the crafted
/// generators of issue 24: the period-scale pattern is invisible to views offset by whole LQ pixels and seen by
/// sub-pixel views; border dependence is seen by all.</summary>
public class TranslationalLossViewsTests
{
    readonly ITestOutputHelper _output;

    public TranslationalLossViewsTests(ITestOutputHelper output)
    {
        EnsureTorch();
        _output = output;
    }

    const float Amplitude = 0.1f;

    /// <summary>The mean term over 3 batches of 4 (steps 0…2).</summary>
    static double MeanLoss(TranslationalViews views, nn.Module<Tensor, Tensor> g, out double max)
    {
        using var dir = TranslationalViewsTests.PhotoDir();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var p = new DataPipeline(TranslationalViewsTests.Options(dir.Path, views));
        double sum = 0;
        max = 0;
        for (long step = 0; step < 3; step++)
        {
            var b = p.GetBatch(step);
            double l = TranslationalLoss.Compute(g.call(b.Lq), g.call(b.SecondView!.Lq), b.SecondView).item<float>();
            sum += l;
            max = Math.Max(max, l);
        }
        return sum / 3;
    }

    [Theory]
    [InlineData(TranslationalViews.Corners)]
    [InlineData(TranslationalViews.Free)]
    public void PeriodScalePattern_IsInvisible_ToViewsOffsetByWholeLqPixels(TranslationalViews views)
    {
        using var g = CraftedGenerators.PatternSrVgg(Amplitude);
        MeanLoss(views, g, out double max);
        Assert.Equal(0.0, max);
    }

    [Fact]
    public void PeriodScalePattern_IsSeen_BySubPixelViews()
    {
        using var patterned = CraftedGenerators.PatternSrVgg(Amplitude);
        using var nearest = CraftedGenerators.PatternSrVgg(0f);
        double withPattern = MeanLoss(TranslationalViews.SubPixel, patterned, out _);
        double plain = MeanLoss(TranslationalViews.SubPixel, nearest, out _);
        _output.WriteLine($"sub-pixel term: pattern {withPattern:E3}, plain nearest {plain:E3}");
        // Plain nearest upsampling is not zero here (the LQ itself changes with the phase); the pattern adds about
        // its amplitude on the (3/4 of) sample pairs whose shift moves it: (Δy + Δx) mod 4 ≠ 0.
        Assert.True(withPattern - plain > Amplitude / 4, $"pattern {withPattern} vs plain nearest {plain}");
    }

    [Theory]
    [InlineData(TranslationalViews.Corners)]
    [InlineData(TranslationalViews.Free)]
    [InlineData(TranslationalViews.SubPixel)]
    public void BorderDependentGenerator_IsSeen_ByEveryView(TranslationalViews views)
    {
        // Zero padding: the output depends on the distance to the crop border within 6 LQ pixels (24 HQ), and the
        // shared region lies within 16 HQ pixels of some border of each crop (full patch 80, crop 64).
        using var g = CraftedGenerators.BorderDependentSrVgg(seed: 1);
        double loss = MeanLoss(views, g, out _);
        _output.WriteLine($"{views}: {loss:E3}");
        Assert.True(loss > 1e-4, $"{views}: {loss}");
    }

    [Fact]
    public void CornerViews_GiveTheLossOfTheirRegions_BitForBit()
    {
        // The batch-level entry point takes the corner path unchanged: the same value as the region overload.
        using var dir = TranslationalViewsTests.PhotoDir();
        using var scope = NewDisposeScope();
        using var g = CraftedGenerators.BorderDependentSrVgg(seed: 2);
        using var noGrad = no_grad();
        var b = new DataPipeline(TranslationalViewsTests.Options(dir.Path, TranslationalViews.Corners)).GetBatch(1);
        var v = b.SecondView!;
        var (o1, o2) = (g.call(b.Lq), g.call(v.Lq));
        Assert.Equal(TranslationalLoss.Compute(o1, v.MainRegion, o2, v.Region).item<float>(), TranslationalLoss.Compute(o1, o2, v).item<float>());
    }

    [Fact]
    public void PerSampleViews_AverageOverEverySamplesRegion()
    {
        // Two samples with different regions: the term is the mean of |a − b| over both regions' pixels.
        var a = zeros(2, 1, 4, 4, device: CPU);
        var b = ones(2, 1, 4, 4, device: CPU);
        b[1] = b[1] * 3;
        var view = new SecondView(zeros(2, 3, 1, 1, device: CPU), [new Region(0, 0, 2, 2), new Region(2, 2, 2, 2)], [new Region(1, 1, 2, 2), new Region(0, 0, 2, 2)]);
        Assert.Equal(2f, TranslationalLoss.Compute(a, b, view).item<float>());
    }
}
