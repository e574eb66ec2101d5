using SrTrain.Data;
using SrTrain.Evaluation;
using SrTrain.Runtime;
using SrTrain.Tests.Translational;
using static TorchSharp.torch;

namespace SrTrain.Tests.Evaluation;

/// <summary>phase_err and shift_err_interior (issue 24): what each sees, against numbers computed by hand.</summary>
public class PhaseConsistencyTests
{
    static PhaseConsistencyTests() => NativeRuntime.EnsureLoaded();

    const int Scale = CraftedGenerators.Scale;

    static Tensor Photo() =>
        ImageFile.ReadRgb(Path.Combine(AppContext.BaseDirectory, "TestData", "Evaluation", "chelsea_hq.png"))
            [.., TensorIndex.Slice(0, 192), TensorIndex.Slice(0, 256)].unsqueeze(0).contiguous();

    static Tensor Nearest(Tensor x) => nn.functional.interpolate(x, scale_factor: new double[] { Scale, Scale }, mode: InterpolationMode.Nearest);

    /// <summary>The period-4 pattern alone, tied to the output grid, whatever the input.</summary>
    static Tensor PatternOnly(Tensor lq, float amplitude)
    {
        long h = lq.shape[2] * Scale, w = lq.shape[3] * Scale;
        var data = new float[3 * h * w];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    data[(c * h + y) * w + x] = CraftedGenerators.Pattern(y, x, amplitude);
        return tensor(data, new[] { 1, 3, h, w }, device: CPU);
    }

    [Fact]
    public void PhaseErr_OfAPeriodScalePatternAlone_IsItsMeanChangeUnderASubPixelShift()
    {
        // Every shift d = 1..3 along either axis changes the pattern by amplitude · 1 on average (CraftedGenerators).
        double e = PhaseConsistency.Measure(x => PatternOnly(x, 0.1f), Photo(), Scale, marginLq: 4);
        Assert.InRange(e, 0.1 - 1e-6, 0.1 + 1e-6);
    }

    [Fact]
    public void ShiftErr_IsBlindToTheSamePattern()
    {
        var lq = MatlabResize.Resize(Photo(), 1.0 / Scale);
        var (all, interior) = ShiftConsistency.MeasureWithInterior(x => Nearest(x) + PatternOnly(x, 0.1f), lq, Scale, 3, 4);
        Assert.Equal(0.0, all);
        Assert.Equal(0.0, interior);
    }

    [Fact]
    public void PhaseErr_OfBicubic_IsBelowNearest_AndAPatternAddsToNearest()
    {
        var hq = Photo();
        double nearest = PhaseConsistency.Measure(Nearest, hq, Scale, 4);
        double bicubic = PhaseConsistency.Measure(x => MatlabResize.Resize(x, Scale).clamp(Scalars.Zero, Scalars.One), hq, Scale, 4);
        double patterned = PhaseConsistency.Measure(x => Nearest(x) + PatternOnly(x, 0.1f), hq, Scale, 4);
        Assert.True(bicubic < nearest, $"bicubic {bicubic} vs nearest {nearest}");
        // Nearest alone changes with the phase through the LQ (aliasing), but far less than the pattern's 0.1.
        Assert.InRange(nearest, 1e-3, 0.05);
        Assert.True(patterned > 2 * nearest, $"patterned {patterned} vs nearest {nearest}");
    }

    [Fact]
    public void ShiftErrInterior_IsZero_ForAZeroPaddedConvNet_WhoseBorderEffectsShiftErrSees()
    {
        // An untrained SRVGGNetCompact (4 body convs): its padding reaches 6 LQ pixels into the image, so the whole
        // overlap differs while the interior beyond a margin of 8 LQ pixels does not (up to float rounding).
        using var net = CraftedGenerators.BorderDependentSrVgg(seed: 3);
        var lq = MatlabResize.Resize(Photo(), 1.0 / Scale);
        using var noGrad = no_grad();
        var (all, interior) = ShiftConsistency.MeasureWithInterior(net.call, lq, Scale, 3, 8);
        Assert.True(all > 1e-4, $"shift_err {all}");
        Assert.True(interior < 1e-6, $"shift_err_interior {interior}");
    }

    [Fact]
    public void Interior_ShrinksTheMargin_OnSmallRegions()
    {
        var x = arange(7 * 5, dtype: ScalarType.Float32, device: CPU).view(1, 1, 7, 5);
        Assert.Equal(new long[] { 1, 1, 3, 1 }, ShiftConsistency.Interior(x, 2).shape);
        Assert.Equal(new long[] { 1, 1, 1, 1 }, ShiftConsistency.Interior(x, 100).shape);
    }
}
