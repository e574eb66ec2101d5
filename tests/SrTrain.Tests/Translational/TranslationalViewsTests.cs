using SrTrain.Translational;
using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Tests.Support;
using TorchSharp;
using static SrTrain.Tests.Data.DataTestUtil;

namespace SrTrain.Tests.Translational;

/// <summary>Free and sub-pixel views (issue 24) as the data pipeline cuts them: per-sample offsets, the shared region
/// holding the same HQ pixels in both views, and each sub-pixel view's LQ made from its own HQ crop.</summary>
public class TranslationalViewsTests
{
    public TranslationalViewsTests() => EnsureTorch();

    // gt 64 at x4 with k = 4: full patch 80, crops 64 (LQ 16), shared region 48.
    const int Gt = 64, Shift = 4, Full = 80, Shared = 48;

    internal static TempDir PhotoDir()
    {
        var dir = new TempDir();
        foreach (var n in new[] { "chelsea_hq.png", "camera.png", "logo.png" })
            File.Copy(TestFile(n), dir.File(n));
        return dir;
    }

    internal static DataPipelineOptions Options(string hqDir, TranslationalViews views) => new()
    {
        HqDir = hqDir,
        Scale = 4,
        GtSize = Gt,
        BatchSize = 4,
        Seed = 5,
        NumWorkers = 1,
        QueueCapacity = 1,
        TranslationalShift = Shift,
        TranslationalViews = views,
    };

    static torch.Tensor Cut(torch.Tensor t, Region r) => t[.., .., r.Top..(r.Top + r.Height), r.Left..(r.Left + r.Width)];

    [Theory]
    [InlineData(TranslationalViews.Free)]
    [InlineData(TranslationalViews.SubPixel)]
    public void OffsetViews_ShareTheCentralRegionOfTheFullPatch_AndKeepTheCornerModesDraws(TranslationalViews views)
    {
        using var dir = PhotoDir();
        using var scope = torch.NewDisposeScope();
        var p = new DataPipeline(Options(dir.Path, views));
        var corners = new DataPipeline(Options(dir.Path, TranslationalViews.Corners));
        // The full patches: the plain pipeline with gt_size = the full patch makes the same draws.
        var plain = new DataPipeline(Options(dir.Path, views) with { GtSize = Full, TranslationalShift = 0 });
        var offsets = new HashSet<(int, int)>();
        for (long step = 0; step < 6; step++)
        {
            var b = p.GetBatch(step);
            var v = b.SecondView!;
            Assert.True(v.PerSample);
            Assert.Equal(corners.GetBatch(step).Samples, b.Samples);
            Assert.Equal(new long[] { 4, 3, Gt / 4, Gt / 4 }, v.Lq.shape);
            var full = plain.GetBatch(step).Hq;
            for (int i = 0; i < 4; i++)
            {
                Region r1 = v.SampleMainRegions![i], r2 = v.SampleRegions![i];
                Assert.Equal((Shared, Shared), (r1.Height, r1.Width));
                Assert.Equal((Shared, Shared), (r2.Height, r2.Width));
                // Region top = (full − crop) − offset, so the offsets are known; the views must differ...
                (int Top, int Left) o1 = (Full - Gt - r1.Top, Full - Gt - r1.Left), o2 = (Full - Gt - r2.Top, Full - Gt - r2.Left);
                Assert.NotEqual(o1, o2);
                offsets.Add(o1);
                if (views == TranslationalViews.Free)
                    Assert.True(o1.Top % 4 == 0 && o1.Left % 4 == 0 && o2.Top % 4 == 0 && o2.Left % 4 == 0, $"{o1} {o2}");
                else
                    Assert.True((o1.Top - o2.Top) % 4 != 0 || (o1.Left - o2.Left) % 4 != 0, $"{o1} {o2}: a whole-LQ-pixel shift");
                // ...the main HQ is the full patch's crop at o1, and its region the full patch's centre.
                var sample = full.narrow(0, i, 1);
                Assert.True(Same(b.Hq.narrow(0, i, 1), sample[.., .., o1.Top..(o1.Top + Gt), o1.Left..(o1.Left + Gt)]), $"step {step} sample {i}");
                Assert.True(Same(Cut(b.Hq.narrow(0, i, 1), r1), sample[.., .., (Full - Gt)..Gt, (Full - Gt)..Gt]));
                var hq2 = sample[.., .., o2.Top..(o2.Top + Gt), o2.Left..(o2.Left + Gt)];
                Assert.True(Same(Cut(hq2, r2), sample[.., .., (Full - Gt)..Gt, (Full - Gt)..Gt]));
                if (views == TranslationalViews.SubPixel)
                {
                    // Each view's LQ is MATLAB bicubic of its own HQ crop, rounded to 8 bits.
                    Assert.True(Same(b.Lq.narrow(0, i, 1), Bicubic8Bit(b.Hq.narrow(0, i, 1))), $"step {step} sample {i}");
                    Assert.True(Same(v.Lq.narrow(0, i, 1), Bicubic8Bit(hq2)), $"step {step} sample {i}");
                }
            }
        }
        Assert.True(offsets.Count > 6, "offsets should vary from sample to sample");
    }

    static torch.Tensor Bicubic8Bit(torch.Tensor hq)
    {
        var lq = MatlabResize.Resize(RgbImage.FromTensor(hq), 0.25);
        lq.QuantizeTo8Bit();
        return lq.ToTensor().unsqueeze(0);
    }

    [Fact]
    public void SubPixelViews_DegradeBothViewsWithTheSameDraws()
    {
        using var dir = PhotoDir();
        using var scope = torch.NewDisposeScope();
        // Noise of one fixed sigma on every sample: the same draws give the same noise field in both views, so the
        // difference between a view's LQ and its clean bicubic is the same tensor for both.
        var degradations = new DegradationOptions { NoiseProbability = 1, NoiseSigmaMin = 10, NoiseSigmaMax = 10 };
        var p = new DataPipeline(Options(dir.Path, TranslationalViews.SubPixel) with { Degradations = degradations });
        var plain = new DataPipeline(Options(dir.Path, TranslationalViews.SubPixel) with { GtSize = Full, TranslationalShift = 0, Degradations = degradations });
        var b = p.GetBatch(3);
        var v = b.SecondView!;
        var full = plain.GetBatch(3).Hq.narrow(0, 0, 1);
        Region r2 = v.SampleRegions![0];
        (int Top, int Left) o2 = (Full - Gt - r2.Top, Full - Gt - r2.Left);
        var noise1 = b.Lq.narrow(0, 0, 1) - Bicubic8Bit(b.Hq.narrow(0, 0, 1));
        var noise2 = v.Lq.narrow(0, 0, 1) - Bicubic8Bit(full[.., .., o2.Top..(o2.Top + Gt), o2.Left..(o2.Left + Gt)]);
        Assert.True(noise1.abs().max().item<float>() > 0.01f, "the noise is applied");
        // Clamping at 0 and 1 can cut the noise differently on the two views' different pixels; compare where neither is.
        var inside = (b.Lq.narrow(0, 0, 1) > 0.02f).logical_and(b.Lq.narrow(0, 0, 1) < 0.98f)
            .logical_and(v.Lq.narrow(0, 0, 1) > 0.02f).logical_and(v.Lq.narrow(0, 0, 1) < 0.98f);
        Assert.True(((noise1 - noise2).abs() * inside).max().item<float>() < 2.5f / 255, "the same noise field in both views (up to 8-bit rounding)");
    }

    [Fact]
    public void SubPixelViews_AreRefused_WithPairedData()
    {
        using var dir = PhotoDir();
        var e = Assert.Throws<SrTrainException>(() => new DataPipeline(Options(dir.Path, TranslationalViews.SubPixel) with { LqDir = dir.Path }));
        Assert.Contains("SubPixel", e.Message);
    }
}
