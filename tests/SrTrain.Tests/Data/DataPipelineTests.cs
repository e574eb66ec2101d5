using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SrTrain.Data;
using SrTrain.Tests.Support;
using SrTrain.Translational;
using TorchSharp;
using static SrTrain.Tests.Data.DataTestUtil;

namespace SrTrain.Tests.Data;

public class DataPipelineTests
{
    public DataPipelineTests() => EnsureTorch();

    static TempDir PhotoDir(params string[] names)
    {
        var dir = new TempDir();
        foreach (var n in names.Length == 0 ? new[] { "chelsea_hq.png", "camera.png", "logo.png" } : names)
            File.Copy(TestFile(n), dir.File(n));
        return dir;
    }

    static DataPipelineOptions Options(string hqDir) => new()
    {
        HqDir = hqDir,
        Scale = 4,
        GtSize = 64,
        BatchSize = 3,
        Seed = 7,
        NumWorkers = 2,
        QueueCapacity = 3,
    };

    static void AssertSameBatch(TrainingBatch a, TrainingBatch b)
    {
        Assert.Equal(a.Step, b.Step);
        Assert.True(Same(a.Lq, b.Lq), $"LQ of step {a.Step}");
        Assert.True(Same(a.Hq, b.Hq), $"HQ of step {a.Step}");
        Assert.Equal(a.Samples, b.Samples);
        Assert.Equal(a.SecondView?.MainCrop, b.SecondView?.MainCrop);
        Assert.Equal(a.SecondView?.Crop, b.SecondView?.Crop);
        if (a.SecondView is not null) Assert.True(Same(a.SecondView.Lq, b.SecondView!.Lq));
    }

    [Fact]
    public void GetBatch_IsTheSame_AcrossInstancesThreadsAndStartSteps()
    {
        using var dir = PhotoDir();
        using var scope = torch.NewDisposeScope();
        var opts = Options(dir.Path) with
        {
            GtSize = 56,
            TranslationalShift = 2,   // full patch 64, as the plain batches
            Degradations = new DegradationOptions { NoiseProbability = 0.5, JpegProbability = 0.5 },
        };
        var a = new DataPipeline(opts);
        var b = new DataPipeline(opts with { CacheImages = true });
        using (var stream = b.Stream(0))
            for (long step = 0; step < 6; step++)
                AssertSameBatch(a.GetBatch(step), stream.Next());
        // A resumed run (stream starting at step 4) sees the same step 4.
        var resumed = b.Stream(4);
        AssertSameBatch(a.GetBatch(4), resumed.Next());
        Assert.Equal(5, resumed.NextStep);
        resumed.Dispose();   // joins the workers
        Assert.Throws<ObjectDisposedException>(() => resumed.Next());
        // Different steps and different seeds give different data.
        Assert.False(Same(a.GetBatch(0).Hq, a.GetBatch(1).Hq));
        Assert.False(Same(a.GetBatch(0).Hq, new DataPipeline(opts with { Seed = 8 }).GetBatch(0).Hq));
    }

    [Fact]
    public void Batch_HasBatchShapes_AndLqIsTheCropOfTheDownscaledWholeImage()
    {
        using var dir = PhotoDir();
        using var scope = torch.NewDisposeScope();
        var p = new DataPipeline(Options(dir.Path) with { UseHFlip = false, UseRot = false });
        var batch = p.GetBatch(3);
        Assert.Equal(new long[] { 3, 3, 16, 16 }, batch.Lq.shape);
        Assert.Equal(new long[] { 3, 3, 64, 64 }, batch.Hq.shape);
        Assert.Null(batch.SecondView);
        for (int i = 0; i < 3; i++)
        {
            var info = batch.Samples[i];
            var full = ImageFile.ReadRgb(dir.File(info.Image + ".png"));
            int h = (int)full.shape[1] / 4 * 4, w = (int)full.shape[2] / 4 * 4;
            full = full[.., ..h, ..w];
            var lqWhole = MatlabResize.Resize(full, 0.25).clamp(0, 1).mul(255).round().div(255);
            int y = info.HqTop / 4, x = info.HqLeft / 4;
            Assert.Equal(0, info.HqTop % 4);
            Assert.True(torch.allclose(batch.Lq[i], lqWhole[.., y..(y + 16), x..(x + 16)], rtol: 0, atol: 1e-5), $"LQ of {info}");
            Assert.True(Same(batch.Hq[i], full[.., info.HqTop..(info.HqTop + 64), info.HqLeft..(info.HqLeft + 64)]), $"HQ of {info}");
        }
    }

    [Fact]
    public void Augment_FlipsAndTransposesLqAndHqAlike()
    {
        using var dir = PhotoDir("chelsea_hq.png");
        using var scope = torch.NewDisposeScope();
        var opts = Options(dir.Path) with { BatchSize = 8 };
        var plain = new DataPipeline(opts with { UseHFlip = false, UseRot = false }).GetBatch(0);
        var aug = new DataPipeline(opts).GetBatch(0);
        int transformed = 0;
        for (int i = 0; i < 8; i++)
        {
            var s = aug.Samples[i];
            Assert.Equal(plain.Samples[i].HqTop, s.HqTop);
            foreach (var (t, p) in new[] { (aug.Lq[i], plain.Lq[i]), (aug.Hq[i], plain.Hq[i]) })
            {
                var expected = p;
                if (s.HFlip) expected = expected.flip(2);
                if (s.VFlip) expected = expected.flip(1);
                if (s.Transpose) expected = expected.transpose(1, 2);
                Assert.True(Same(t, expected), $"sample {i} {s}");
            }
            if (s.HFlip || s.VFlip || s.Transpose) transformed++;
        }
        Assert.True(transformed > 0);
    }

    [Fact]
    public void TranslationalBatch_CornersDiffer_AndSharedRegionsHoldTheSamePixels()
    {
        using var dir = PhotoDir();
        using var scope = torch.NewDisposeScope();
        // gt 56 at x4 with k = 2: full patch 64, corner crops 56 (LQ 14), shared 48.
        var p = new DataPipeline(Options(dir.Path) with { GtSize = 56, TranslationalShift = 2 });
        var plain = new DataPipeline(Options(dir.Path));   // the same draws give the full 64-pixel patches
        var seen = new HashSet<(Corner, Corner)>();
        for (long step = 0; step < 12; step++)
        {
            var b = p.GetBatch(step);
            var v = b.SecondView!;
            Assert.NotEqual(v.MainCrop.Corner, v.Crop.Corner);
            seen.Add((v.MainCrop.Corner, v.Crop.Corner));
            Assert.Equal(new long[] { 3, 3, 14, 14 }, b.Lq.shape);
            Assert.Equal(new long[] { 3, 3, 56, 56 }, b.Hq.shape);
            Assert.Equal(new long[] { 3, 3, 14, 14 }, v.Lq.shape);
            // Both corners are cut from the full patch; the second corner's HQ (not carried: the term never reads it)
            // is cut from the full patch here.
            var full = plain.GetBatch(step).Hq;
            var (c1, c2) = (v.MainCrop, v.Crop);
            Assert.True(Same(b.Hq, full[.., .., c1.HqTop..(c1.HqTop + c1.HqSize), c1.HqLeft..(c1.HqLeft + c1.HqSize)]), $"step {step}");
            var hq2Full = full[.., .., c2.HqTop..(c2.HqTop + c2.HqSize), c2.HqLeft..(c2.HqLeft + c2.HqSize)];
            var (r1, r2) = (v.MainRegion, v.Region);
            Assert.Equal(48, r1.Height);
            var hq1 = b.Hq[.., .., r1.Top..(r1.Top + r1.Height), r1.Left..(r1.Left + r1.Width)];
            var hq2 = hq2Full[.., .., r2.Top..(r2.Top + r2.Height), r2.Left..(r2.Left + r2.Width)];
            Assert.True(Same(hq1, hq2), $"step {step}");
            // The LQ inputs agree on the same region at LQ resolution, so an equivariant G gives equal outputs there.
            var lq1 = b.Lq[.., .., (r1.Top / 4)..((r1.Top + r1.Height) / 4), (r1.Left / 4)..((r1.Left + r1.Width) / 4)];
            var lq2 = v.Lq[.., .., (r2.Top / 4)..((r2.Top + r2.Height) / 4), (r2.Left / 4)..((r2.Left + r2.Width) / 4)];
            Assert.True(Same(lq1, lq2), $"step {step}");
        }
        Assert.True(seen.Count > 3, "corner pairs should vary from step to step");
    }

    [Fact]
    public void BadFiles_AreSkippedWithOneWarningEach_AndCounted()
    {
        using var dir = PhotoDir("chelsea_hq.png");
        var bytes = File.ReadAllBytes(TestFile("camera.png"));
        File.WriteAllBytes(dir.File("truncated.png"), bytes[..(bytes.Length / 3)]);
        File.WriteAllBytes(dir.File("empty.png"), Array.Empty<byte>());
        File.WriteAllText(dir.File("notes.png"), "this is not an image");
        File.WriteAllText(dir.File("README.txt"), "ignored: not an image extension");
        var sink = new CollectingSink();
        using var scope = torch.NewDisposeScope();
        var p = new DataPipeline(Options(dir.Path) with { BatchSize = 4 }, sink.CreateLogger());
        using (var stream = p.Stream(0))
            for (int i = 0; i < 8; i++) stream.Next();   // enough draws to hit the truncated file if it passed the scan
        Assert.Equal(3, p.SkippedFileCount);
        Assert.Equal(new[] { "empty.png", "notes.png", "truncated.png" }, p.SkippedFiles.Select(Path.GetFileName).Order().ToArray());
        var warnings = sink.Warnings.Where(w => w.Contains("Skipping")).ToList();
        Assert.Equal(3, warnings.Count);
        foreach (var name in new[] { "empty.png", "notes.png", "truncated.png" })
            Assert.Single(warnings, w => w.Contains(name));
        Assert.All(new DataPipeline(Options(dir.Path)).GetBatch(0).Samples, s => Assert.Equal("chelsea_hq", s.Image));
    }

    [Fact]
    public void NoUsableImage_ThrowsNamingTheFolder()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("empty.png"), Array.Empty<byte>());
        var e = Assert.Throws<SrTrainException>(() => new DataPipeline(Options(dir.Path)));
        Assert.Contains(dir.Path, e.Message);
        using var tiny = PhotoDir("chelsea_hq.png");
        e = Assert.Throws<SrTrainException>(() => new DataPipeline(Options(tiny.Path) with { MaxImagePixels = 10_000 }));
        Assert.Contains(tiny.Path, e.Message);
        Assert.Throws<SrTrainException>(() => new DataPipeline(Options(Path.Combine(dir.Path, "missing"))));
    }

    [Fact]
    public void SmallImage_IsSkipped_OrReflectPaddedWhenAsked()
    {
        using var dir = new TempDir();
        using (var img = new Image<Rgb24>(50, 41))
        {
            img[3, 5] = new Rgb24(255, 0, 0);
            img.SaveAsPng(dir.File("small.png"));
        }
        Assert.Throws<SrTrainException>(() => new DataPipeline(Options(dir.Path)));
        using var scope = torch.NewDisposeScope();
        var b = new DataPipeline(Options(dir.Path) with { PadSmall = true, UseHFlip = false, UseRot = false }).GetBatch(0);
        Assert.Equal(new long[] { 3, 3, 64, 64 }, b.Hq.shape);
        // 41 rows crop to 40 (multiple of 4); row 40 + d mirrors row 38 − d... so the image content is intact at the top-left.
        Assert.Equal(1f, b.Hq[0, 0, 5, 3].item<float>());
        Assert.True(Same(b.Hq[0, .., 38, ..], b.Hq[0, .., 40, ..]));
    }

    [Fact]
    public void PairedFolders_UseTheLqFiles_AndRejectMismatches()
    {
        using var hq = PhotoDir("chelsea_hq.png");
        using var lq = new TempDir();
        using var scope = torch.NewDisposeScope();
        // DIV2K-style LR name.
        File.Copy(TestFile("chelsea_lqx4.png"), lq.File("chelsea_hqx4.png"));
        var p = new DataPipeline(Options(hq.Path) with { LqDir = lq.Path, UseHFlip = false, UseRot = false });
        var b = p.GetBatch(0);
        var lqFile = ImageFile.ReadRgb(lq.File("chelsea_hqx4.png"));
        var s = b.Samples[0];
        Assert.True(Same(b.Lq[0], lqFile[.., (s.HqTop / 4)..(s.HqTop / 4 + 16), (s.HqLeft / 4)..(s.HqLeft / 4 + 16)]));

        // An extra HQ image without LQ.
        File.Copy(TestFile("camera.png"), hq.File("camera.png"));
        var e = Assert.Throws<SrTrainException>(() => new DataPipeline(Options(hq.Path) with { LqDir = lq.Path }));
        Assert.Contains("camera.png", e.Message);
        // An LQ of the wrong size.
        File.Copy(TestFile("chelsea_hq.png"), lq.File("camera.png"));
        e = Assert.Throws<SrTrainException>(() => new DataPipeline(Options(hq.Path) with { LqDir = lq.Path }));
        Assert.Contains("camera.png", e.Message);
        Assert.Contains("128x128", e.Message);
    }

    [Fact]
    public void Degradations_ChangeTheLq_Deterministically()
    {
        using var dir = PhotoDir("chelsea_hq.png");
        using var scope = torch.NewDisposeScope();
        var opts = Options(dir.Path);
        var clean = new DataPipeline(opts).GetBatch(2);
        var noisy = new DataPipeline(opts with { Degradations = new DegradationOptions { NoiseProbability = 1, NoiseSigmaMin = 10, NoiseSigmaMax = 10 } }).GetBatch(2);
        var jpeg = new DataPipeline(opts with { Degradations = new DegradationOptions { JpegProbability = 1, JpegQualityMin = 20, JpegQualityMax = 20 } }).GetBatch(2);
        Assert.True(Same(clean.Hq, noisy.Hq));
        // sigma 10/255 Gaussian noise: the LQ differences have about that std (clamping trims a little).
        double std = (noisy.Lq - clean.Lq).std().item<float>() * 255;
        Assert.InRange(std, 8.5, 11);
        double jpegErr = (jpeg.Lq - clean.Lq).abs().mean().item<float>() * 255;
        Assert.InRange(jpegErr, 0.5, 20);
        // Values stay on the 8-bit grid.
        Assert.True(torch.allclose(noisy.Lq * 255, (noisy.Lq * 255).round(), rtol: 0, atol: 1e-3));
    }
}

public class DecodeFailureTests
{
    public DecodeFailureTests() => DataTestUtil.EnsureTorch();

    [Fact]
    public void FileThatPassesTheScanButFailsToDecode_IsSkippedOnce_AndDrawsStayDeterministic()
    {
        using var dir = new TempDir();
        File.Copy(DataTestUtil.TestFile("chelsea_hq.png"), dir.File("a_good.png"));
        // Header and IEND intact, compressed pixel data scrambled: only a full decode can tell.
        var bytes = File.ReadAllBytes(DataTestUtil.TestFile("camera.png"));
        for (int i = 200; i < 8000; i += 7) bytes[i] ^= 0x5A;  // inside the first IDAT chunk (data 62..8254)
        // Fix that chunk's CRC so the header scan (which checks CRCs) accepts the file.
        uint crc = Crc32(bytes.AsSpan(58, 4 + 8192));
        bytes[8254] = (byte)(crc >> 24); bytes[8255] = (byte)(crc >> 16); bytes[8256] = (byte)(crc >> 8); bytes[8257] = (byte)crc;
        File.WriteAllBytes(dir.File("b_scrambled.png"), bytes);
        var sink = new CollectingSink();
        var opts = new DataPipelineOptions { HqDir = dir.Path, GtSize = 64, BatchSize = 4, Seed = 3 };
        var p = new DataPipeline(opts, sink.CreateLogger());
        Assert.Equal(2, p.ImageCount);
        using var scope = TorchSharp.torch.NewDisposeScope();
        var first = Enumerable.Range(0, 4).Select(s => p.GetBatch(s)).ToList();
        Assert.Equal(1, p.SkippedFileCount);
        Assert.Single(sink.Warnings, w => w.Contains("b_scrambled.png"));
        Assert.All(first.SelectMany(b => b.Samples), s => Assert.Equal("a_good", s.Image));
        // A fresh pipeline that meets the bad file at a different time still draws the same data.
        var again = new DataPipeline(opts);
        for (int s = 3; s >= 0; s--) Assert.True(DataTestUtil.Same(first[s].Hq, again.GetBatch(s).Hq));
    }

    static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }
}
