using SrTrain.Data;
using SrTrain.Runtime;
using SrTrain.Translational;
using static TorchSharp.torch;

namespace SrTrain.Tests.Translational;

/// <summary>The translational term's defining properties, on real photo patches cut with the data pipeline's own
/// corner geometry: zero for generators that cannot tell where a crop starts, non-zero for one that can.</summary>
public class TranslationalLossTests
{
    const int Scale = 4, Shift = 4, Full = 96; // full HQ patch 96 → corners 80, shared region 64

    public TranslationalLossTests() => NativeRuntime.EnsureLoaded();

    static Tensor PhotoLq()
    {
        // LQ full patch (1,3,24,24) from a real photo.
        var img = ImageFile.ReadRgb(Path.Combine(AppContext.BaseDirectory, "TestData", "Training", "train", "coffee_crop.png"));
        return img[.., TensorIndex.Slice(0, Full / Scale), TensorIndex.Slice(0, Full / Scale)].unsqueeze(0);
    }

    static (Tensor Lq, Region Shared) Corner(Tensor fullLq, Corner c)
    {
        var crop = TranslationalCrops.Compute(Full, Scale, Shift, c);
        var lq = fullLq[.., .., TensorIndex.Slice(crop.LqTop, crop.LqTop + crop.LqSize), TensorIndex.Slice(crop.LqLeft, crop.LqLeft + crop.LqSize)];
        return (lq, crop.Shared);
    }

    static IEnumerable<(Corner, Corner)> AllPairs() =>
        from a in SrTrain.Translational.Corner.All from b in SrTrain.Translational.Corner.All where a != b select (a, b);

    [Fact]
    public void IsZero_ForNearestNeighbourUpsampling()
    {
        var full = PhotoLq();
        Func<Tensor, Tensor> g = x => nn.functional.interpolate(x, scale_factor: new double[] { Scale, Scale }, mode: InterpolationMode.Nearest);
        foreach (var (a, b) in AllPairs())
        {
            var (lq1, r1) = Corner(full, a);
            var (lq2, r2) = Corner(full, b);
            Assert.Equal(0f, TranslationalLoss.Compute(g(lq1), r1, g(lq2), r2).item<float>());
        }
    }

    [Fact]
    public void IsZero_ForAConvNetWithoutPaddingEffects()
    {
        // The shared region reaches the far edges of each corner crop (the bottom-right of the top-left crop, ...),
        // so a padded 3x3 conv's border effects do enter it: that is one of the position-dependent artifacts the
        // term penalises. A net of 1x1 convs has no padding effects at all and must score zero.
        manual_seed(1);
        var conv1 = nn.Conv2d(3, 8, 1);
        var conv2 = nn.Conv2d(8, 3 * Scale * Scale, 1);
        var shuffle = nn.PixelShuffle(Scale);
        Func<Tensor, Tensor> g = x => shuffle.call(conv2.call(nn.functional.leaky_relu(conv1.call(x), 0.2)));
        var full = PhotoLq();
        foreach (var (a, b) in AllPairs())
        {
            var (lq1, r1) = Corner(full, a);
            var (lq2, r2) = Corner(full, b);
            Assert.True(TranslationalLoss.Compute(g(lq1), r1, g(lq2), r2).item<float>() < 1e-6);
        }
    }

    [Fact]
    public void IsPositive_ForAPaddedConvNet_WhoseBorderEffectsReachTheSharedRegion()
    {
        manual_seed(1);
        var conv = nn.Conv2d(3, 3 * Scale * Scale, 3, padding: 1);
        var shuffle = nn.PixelShuffle(Scale);
        Func<Tensor, Tensor> g = x => shuffle.call(conv.call(x));
        var full = PhotoLq();
        var (lq1, r1) = Corner(full, new Corner(0, 0));
        var (lq2, r2) = Corner(full, new Corner(1, 1));
        Assert.True(TranslationalLoss.Compute(g(lq1), r1, g(lq2), r2).item<float>() > 1e-4);
    }

    [Fact]
    public void IsPositive_ForAGeneratorThatDependsOnAbsolutePosition()
    {
        // Nearest upsampling plus a pattern fixed to the output frame: the artifact the term exists to punish.
        Func<Tensor, Tensor> g = x =>
        {
            var up = nn.functional.interpolate(x, scale_factor: new double[] { Scale, Scale }, mode: InterpolationMode.Nearest);
            var cols = arange(up.shape[3], dtype: ScalarType.Float32);
            return up + 0.05f * sin(cols * 1.3f).view(1, 1, 1, -1);
        };
        var full = PhotoLq();
        var (lq1, r1) = Corner(full, new Corner(0, 0));
        var (lq2, r2) = Corner(full, new Corner(0, 1));
        Assert.True(TranslationalLoss.Compute(g(lq1), r1, g(lq2), r2).item<float>() > 0.01);
    }

    [Fact]
    public void IsPositive_WhenARegionIsOffByOnePixel()
    {
        // Pixel alignment must be exact: the correct regions give zero, a region moved by one HQ pixel does not.
        var full = PhotoLq();
        Func<Tensor, Tensor> g = x => nn.functional.interpolate(x, scale_factor: new double[] { Scale, Scale }, mode: InterpolationMode.Nearest);
        var (lq1, r1) = Corner(full, new Corner(0, 0));
        var (lq2, r2) = Corner(full, new Corner(1, 1));
        var shifted = r2 with { Left = r2.Left + 1 };
        Assert.Equal(0f, TranslationalLoss.Compute(g(lq1), r1, g(lq2), r2).item<float>());
        Assert.True(TranslationalLoss.Compute(g(lq1), r1, g(lq2), shifted).item<float>() > 1e-3);
    }

    [Fact]
    public void GradientsFlow_IntoBothPasses()
    {
        var full = PhotoLq();
        var (lq1, r1) = Corner(full, new Corner(0, 0));
        var (lq2, r2) = Corner(full, new Corner(0, 1));
        var a = lq1.clone().requires_grad_(true);
        var b = lq2.clone().requires_grad_(true);
        Func<Tensor, Tensor> g = x =>
        {
            var up = nn.functional.interpolate(x, scale_factor: new double[] { Scale, Scale }, mode: InterpolationMode.Nearest);
            return up * arange(up.shape[3], dtype: ScalarType.Float32).view(1, 1, 1, -1) / 100;
        };
        TranslationalLoss.Compute(g(a), r1, g(b), r2).backward();
        Assert.True(a.grad!.abs().sum().item<float>() > 0);
        Assert.True(b.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Regions_OutsideTheOutput_AreRejected()
    {
        var x = zeros(1, 3, 16, 16);
        Assert.Throws<ArgumentException>(() => TranslationalLoss.Compute(x, new Region(8, 8, 10, 10), x, new Region(0, 0, 10, 10)));
        Assert.Throws<ArgumentException>(() => TranslationalLoss.Compute(x, new Region(0, 0, 8, 8), x, new Region(0, 0, 9, 9)));
    }
}
