using SrTrain.Runtime;
using SrTrain.Translational;
using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Degradation;
using SrTrain.Tests.Support;
using TorchSharp;
using static SrTrain.Tests.Data.DataTestUtil;
using static TorchSharp.torch;

namespace SrTrain.Tests.Data;

/// <summary>The data pipeline with Real-ESRGAN's degradation (datasets.train.realesrgan): every batch a pure function of
/// (seed, step, sample), whatever the threads, start step, number of ranks or pool.</summary>
public class RealEsrganPipelineTests
{
    public RealEsrganPipelineTests() => EnsureTorch();

    static TempDir PhotoDir()
    {
        var dir = new TempDir();
        // chelsea_lqx4 (112x75) is smaller than the 96 px crop: reflect-padded after the augmentation.
        foreach (var n in new[] { "chelsea_hq.png", "camera.png", "chelsea_lqx4.png" }) File.Copy(TestFile(n), dir.File(n));
        return dir;
    }

    static DataPipelineOptions Options(string hqDir, int queue = 0) => new()
    {
        HqDir = hqDir,
        Scale = 4,
        GtSize = 48,
        BatchSize = 4,
        Seed = 11,
        NumWorkers = 2,
        QueueCapacity = 2,
        RealEsrgan = new RealEsrganDegradationConfig { Enabled = true, CropPadSize = 96, QueueSize = queue },
    };

    static void AssertSameBatch(TrainingBatch a, TrainingBatch b)
    {
        Assert.Equal(a.Step, b.Step);
        Assert.True(Same(a.Lq, b.Lq), $"LQ of step {a.Step}");
        Assert.True(Same(a.Hq, b.Hq), $"HQ of step {a.Step}");
        Assert.Equal(a.Samples, b.Samples);
        if (a.SecondView is not null) Assert.True(Same(a.SecondView.Lq, b.SecondView!.Lq));
    }

    [Fact]
    public void Batches_HaveTheShapes_AndAreTheSame_AcrossInstancesThreadsAndStartSteps()
    {
        using var dir = PhotoDir();
        using var scope = torch.NewDisposeScope();
        var opts = Options(dir.Path, queue: 8);
        var a = new DataPipeline(opts);
        var b = new DataPipeline(opts with { CacheImages = true, NumWorkers = 3 });
        using (var stream = b.Stream(0))
            for (long step = 0; step < 5; step++)
            {
                var batch = a.GetBatch(step);
                Assert.Equal(new long[] { 4, 3, 48, 48 }, batch.Hq.shape);
                Assert.Equal(new long[] { 4, 3, 12, 12 }, batch.Lq.shape);
                Assert.All(batch.Samples, s => Assert.NotNull(s.Draws));
                AssertSameBatch(batch, stream.Next());
            }
        using (var resumed = b.Stream(4)) AssertSameBatch(a.GetBatch(4), resumed.Next());
        Assert.False(Same(a.GetBatch(0).Lq, new DataPipeline(opts with { Seed = 12 }).GetBatch(0).Lq));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    public void TheShardsOfABatch_PutTogether_AreTheWholeBatch(int queue)
    {
        using var dir = PhotoDir();
        using var scope = torch.NewDisposeScope();
        var whole = new DataPipeline(Options(dir.Path, queue));
        var shards = Enumerable.Range(0, 2).Select(r => new DataPipeline(Options(dir.Path, queue) with { Shard = new BatchShard(r, 2) })).ToArray();
        foreach (long step in new long[] { 0, 3, 9 })
        {
            var all = whole.GetBatch(step);
            var parts = shards.Select(s => s.GetBatch(step)).ToArray();
            Assert.True(Same(all.Lq, cat(parts.Select(p => p.Lq).ToArray(), 0)), $"LQ of step {step}");
            Assert.True(Same(all.Hq, cat(parts.Select(p => p.Hq).ToArray(), 0)), $"HQ of step {step}");
            Assert.Equal(all.Samples, parts.SelectMany(p => p.Samples));
        }
    }

    /// <summary>A pooled pair is the pair its origin step made: the same pixels as that step's batch without a pool.</summary>
    [Fact]
    public void PooledPairs_AreTheirOriginStepsPairs()
    {
        using var dir = PhotoDir();
        using var scope = torch.NewDisposeScope();
        var pooled = new DataPipeline(Options(dir.Path, queue: 8));
        var plain = new DataPipeline(Options(dir.Path, queue: 0));
        // Fill phase (8 / 4 = 2 steps): a step trains on its own batch.
        AssertSameBatch(plain.GetBatch(1), pooled.GetBatch(1));
        int fromEarlier = 0;
        for (long step = 2; step < 6; step++)
        {
            var batch = pooled.GetBatch(step);
            for (int i = 0; i < 4; i++)
            {
                var origin = batch.Samples[i].Origin!.Value;
                Assert.True(origin.Step < step);
                fromEarlier++;
                var own = plain.GetBatch(origin.Step);
                Assert.True(Same(batch.Lq[i], own.Lq[origin.Index]), $"LQ {i} of step {step} from {origin}");
                Assert.True(Same(batch.Hq[i], own.Hq[origin.Index]), $"HQ {i} of step {step} from {origin}");
                Assert.Equal(own.Samples[origin.Index], batch.Samples[i]);
            }
        }
        Assert.Equal(16, fromEarlier);
    }

    /// <summary>The crop is RealESRGANDataset's: the whole image augmented, reflect-101 padded at the bottom/right,
    /// cropped. The fast path (crop first, then augment the crop) gives the same pixels in all eight orientations.</summary>
    [Theory]
    [InlineData("chelsea_hq.png")]
    [InlineData("chelsea_lqx4.png")]
    public void TheCrop_IsTheCropOfTheAugmentedPaddedImage(string name)
    {
        using var image = PixelImage.Load(TestFile(name));
        using var patches = new RealEsrganPatches(new RealEsrganDegradationConfig { Enabled = true, CropPadSize = 96 }, 4, 0);
        var whole = image.Crop(0, 0, image.Height, image.Width);
        var rng = SampleRandom.For(1, 2, 3);
        for (int a = 0; a < 8; a++)
        {
            bool h = (a & 1) != 0, v = (a & 2) != 0, t = (a & 4) != 0;
            var aug = RealEsrganPatches.Augment(whole, h, v, t).ReflectPadTo(96, 96);
            int top = rng.NextInt(aug.Height - 96 + 1), left = rng.NextInt(aug.Width - 96 + 1);
            var d = new SampleDraws(h, v, t, top, left, KernelDraw.Pulse, KernelDraw.Pulse, KernelDraw.Pulse,
                new NoiseDraw(true, 1, 1, false, 1), 90, new NoiseDraw(true, 1, 1, false, 2), 90);
            Assert.Equal(aug.Crop(top, left, 96, 96).Data, patches.Cut(image, d).Data);
        }
        // The transpose is not the identity (a non-square image changes shape).
        Assert.NotEqual(whole.Height, RealEsrganPatches.Augment(whole, false, false, true).Height);
    }

    [Theory]
    [InlineData(TranslationalViews.Corners)]
    [InlineData(TranslationalViews.Free)]
    public void CornerAndFreeViews_AreCutFromOneDegradedPatch_SoTheyAgreeOnTheirOverlap(TranslationalViews views)
    {
        using var dir = PhotoDir();
        using var scope = torch.NewDisposeScope();
        var p = new DataPipeline(Options(dir.Path, queue: 8) with { GtSize = 40, TranslationalShift = 2, TranslationalViews = views });
        foreach (long step in new long[] { 0, 4 })
        {
            var b = p.GetBatch(step);
            var sv = b.SecondView!;
            for (int i = 0; i < 4; i++)
            {
                var (m, s) = views == TranslationalViews.Corners ? (sv.MainRegion, sv.Region) : (sv.SampleMainRegions![i], sv.SampleRegions![i]);
                // The shared region in HQ pixels of each output; on the LQ grid it is /4.
                var lq1 = b.Lq[i][.., (m.Top / 4)..((m.Top + m.Height) / 4), (m.Left / 4)..((m.Left + m.Width) / 4)];
                var lq2 = sv.Lq[i][.., (s.Top / 4)..((s.Top + s.Height) / 4), (s.Left / 4)..((s.Left + s.Width) / 4)];
                Assert.True(Same(lq1, lq2), $"sample {i} of step {step}");
            }
        }
    }

    /// <summary>Sub-pixel views: each view's LQ is the degradation of its own HQ crop (the 96 px crop shifted by the
    /// view's HQ offset, less the shift range) with the sample's draws and its origin step's batch draws.</summary>
    [Fact]
    public void SubPixelViews_AreEachDegradedWithTheSameDraws()
    {
        using var dir = PhotoDir();
        using var scope = torch.NewDisposeScope();
        var opts = Options(dir.Path, queue: 0) with { GtSize = 40, TranslationalShift = 2, TranslationalViews = TranslationalViews.SubPixel };
        var p = new DataPipeline(opts);
        using var patches = new RealEsrganPatches(opts.RealEsrgan!, 4, opts.Seed);
        var b = p.GetBatch(3);
        var sv = b.SecondView!;
        int full = 48, crop = 40, input = 96 - 8;
        for (int i = 0; i < 4; i++)
        {
            var info = b.Samples[i];
            // The 96 px crop of this sample again, then each view's input at its offset (recovered from its region).
            // (Cut to a multiple of the scale first, as every image of the catalog.)
            using var image = PixelImage.Load(Path.Combine(dir.Path, info.Image + ".png"));
            var cropPad = patches.Cut(image.CropToMultiple(4), info.Draws!);
            RgbImage ViewLq(Region r)
            {
                int top = full - crop - r.Top, left = full - crop - r.Left;
                var (_, lq) = patches.Degrade(new[] { cropPad.Crop(top, left, input, input) }, info.BatchDraws!, new[] { info.Draws! }, crop);
                return lq[0];
            }
            Assert.Equal(ViewLq(sv.SampleMainRegions![i]).Data, RgbImage.FromTensor(b.Lq[i]).Data);
            Assert.Equal(ViewLq(sv.SampleRegions![i]).Data, RgbImage.FromTensor(sv.Lq[i]).Data);
            Assert.NotEqual(sv.SampleMainRegions[i], sv.SampleRegions[i]);
        }
    }
}
