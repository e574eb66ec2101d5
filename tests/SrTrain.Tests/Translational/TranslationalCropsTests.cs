using SrTrain.Translational;

namespace SrTrain.Tests.Translational;

public class TranslationalCropsTests
{
    [Fact]
    public void CornerCrops_For256AtK8x4_Are224WithA192SharedRegion()
    {
        foreach (var c in Corner.All)
        {
            var crop = TranslationalCrops.Compute(256, 4, 8, c);
            Assert.Equal(224, crop.HqSize);
            Assert.Equal(56, crop.LqSize);
            Assert.Equal(192, crop.Shared.Height);
            Assert.Equal(192, crop.Shared.Width);
            // HQ offset is exactly scale × LQ offset.
            Assert.Equal(4 * crop.LqTop, crop.HqTop);
            Assert.Equal(4 * crop.LqLeft, crop.HqLeft);
        }
        Assert.Equal(new Region(32, 0, 192, 192), TranslationalCrops.Compute(256, 4, 8, new Corner(0, 1)).Shared);
        Assert.Equal(new Region(0, 32, 192, 192), TranslationalCrops.Compute(256, 4, 8, new Corner(1, 0)).Shared);
    }

    [Fact]
    public void SharedRegions_OfAllCorners_MapToTheSameFullPatchPixels()
    {
        foreach (var (gt, scale, k) in new[] { (256, 4, 8), (144, 4, 4), (64, 2, 5), (96, 3, 7) })
        {
            var origins = Corner.All.Select(c => TranslationalCrops.Compute(gt, scale, k, c))
                .Select(cc => (Top: cc.HqTop + cc.Shared.Top, Left: cc.HqLeft + cc.Shared.Left, cc.Shared.Height,
                               Bottom: cc.Shared.Top + cc.Shared.Height, Right: cc.Shared.Left + cc.Shared.Width, cc.HqSize))
                .ToList();
            Assert.Single(origins.Select(o => (o.Top, o.Left, o.Height)).Distinct());
            Assert.All(origins, o => Assert.True(o.Bottom <= o.HqSize && o.Right <= o.HqSize));
            Assert.Equal(gt - (gt - scale * k), origins[0].Top);
        }
        // The PyTorch peer's geometry: 144 → 128 crops sharing 112.
        Assert.Equal(112, TranslationalCrops.SharedSize(144, 4, 4));
    }

    [Fact]
    public void Validate_RejectsShiftsWithoutOverlap()
    {
        var e = Assert.Throws<SrTrainException>(() => TranslationalCrops.Validate(64, 4, 8));
        Assert.Contains("shift 8", e.Message);
    }
}
