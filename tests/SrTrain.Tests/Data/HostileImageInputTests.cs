using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Inference;
using SrTrain.Tests.Support;
using static SrTrain.Tests.Data.DataTestUtil;

namespace SrTrain.Tests.Data;

/// <summary>Careless image input (issue 14): link loops in data folders, EXIF orientation, animated GIFs, and the one
/// pixel limit that training and upscale share.</summary>
public class HostileImageInputTests
{
    static void Png(string path, int w, int h, byte shade = 90)
    {
        using var img = new Image<Rgb24>(w, h, new Rgb24(shade, (byte)(shade / 2), 30));
        img.Save(path);
    }

    [Fact]
    public void LinkLoopInTrainingFolder_CountsEachPhotoOnce_AndWarns()
    {
        EnsureTorch();
        using var dir = new TempDir();
        var train = dir.File("train");
        Directory.CreateDirectory(Path.Combine(train, "sub"));
        for (int i = 0; i < 3; i++) Png(Path.Combine(train, $"p{i}.png"), 48, 48);
        Png(Path.Combine(train, "sub", "q.png"), 48, 48);
        Directory.CreateSymbolicLink(Path.Combine(train, "sub", "loop"), train);
        Directory.CreateSymbolicLink(Path.Combine(train, "again"), Path.Combine(train, "sub"));
        var sink = new CollectingSink();
        var pipeline = new DataPipeline(new DataPipelineOptions { HqDir = train, Scale = 4, GtSize = 32, BatchSize = 1 }, sink.CreateLogger());
        Assert.Equal(4, pipeline.ImageCount);
        Assert.Contains(sink.Warnings, w => w.Contains("already scanned"));
    }

    [Fact]
    public async Task FifoInTrainingFolder_IsSkippedWithAWarning_InsteadOfHanging()
    {
        EnsureTorch();
        using var dir = new TempDir();
        var train = dir.File("train");
        Directory.CreateDirectory(train);
        for (int i = 0; i < 2; i++) Png(Path.Combine(train, $"p{i}.png"), 48, 48);
        HostileFiles.MakeFifo(Path.Combine(train, "pipe.png"));
        var sink = new CollectingSink();
        // On a worker thread with a timeout, so that a hang fails the test instead of stalling the suite.
        var pipeline = await Task.Run(() => new DataPipeline(new DataPipelineOptions { HqDir = train, Scale = 4, GtSize = 32, BatchSize = 1 },
            sink.CreateLogger())).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, pipeline.ImageCount);
        Assert.Contains(sink.Warnings, w => w.Contains("pipe.png") && w.Contains("FIFO"));
    }

    [Fact]
    public void ExifOrientation_IsApplied_ForSizeAndPixels()
    {
        EnsureTorch();
        using var dir = new TempDir();
        var path = dir.File("rotated.jpg");
        using (var img = new Image<Rgb24>(40, 24, new Rgb24(200, 200, 200)))
        {
            img.Metadata.ExifProfile = new ExifProfile();
            img.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6); // "rotate 90° clockwise to display"
            img.SaveAsJpeg(path);
        }
        Assert.Equal((24, 40), ImageFile.Identify(path));
        using var t = ImageFile.ReadRgb(path);
        Assert.Equal(new long[] { 3, 40, 24 }, t.shape);
        using var input = UpscaleImageIO.Read(path);
        Assert.Equal(new long[] { 1, 3, 40, 24 }, input.Rgb.shape);
    }

    [Fact]
    public void AnimatedGif_UpscalesItsFirstFrame_WithAWarningNamingTheFile()
    {
        EnsureTorch();
        using var dir = new TempDir();
        var gif = dir.File("anim.gif");
        using (var img = new Image<Rgba32>(8, 6, new Rgba32(255, 0, 0, 255)))
        {
            using var second = new Image<Rgba32>(8, 6, new Rgba32(0, 0, 255, 255));
            img.Frames.AddFrame(second.Frames.RootFrame);
            img.SaveAsGif(gif);
        }
        var still = dir.File("still.gif");
        using (var img = new Image<Rgba32>(8, 6, new Rgba32(255, 0, 0, 255))) img.SaveAsGif(still);
        Assert.True(ImageFile.HasExtraFrames(gif));
        Assert.False(ImageFile.HasExtraFrames(still));

        var sink = new CollectingSink();
        UpscaleImageIO.UpscaleFile(gif, dir.File("out.png"), new TiledUpscaler(x => x.clone(), 1, tile: 0), AlphaUpscale.Bicubic, sink.CreateLogger());
        Assert.Contains(sink.Warnings, w => w.Contains("anim.gif") && w.Contains("first frame"));
        using var outImg = Image.Load<Rgb24>(dir.File("out.png"));
        Assert.True(outImg[0, 0].R > 200 && outImg[0, 0].B < 50); // the red first frame
    }

    [Fact]
    public void PixelLimit_IsOneSetting_ForUpscaleAndTraining()
    {
        EnsureTorch();
        using var dir = new TempDir();
        var path = dir.File("p.png");
        Png(path, 40, 40);
        var old = Environment.GetEnvironmentVariable(InputLimits.MaxImagePixelsVariable);
        try
        {
            Environment.SetEnvironmentVariable(InputLimits.MaxImagePixelsVariable, "1000");
            var e = Assert.Throws<SrTrainException>(() => UpscaleImageIO.Read(path));
            Assert.Contains("40x40 is above the limit of 1000 pixels", e.Message);
            Assert.Equal(1000, new SrTrainConfig().Datasets.Train.MaxImagePixels);
            Assert.Equal(1000, new DataPipelineOptions { HqDir = dir.Path }.MaxImagePixels);
        }
        finally
        {
            Environment.SetEnvironmentVariable(InputLimits.MaxImagePixelsVariable, old);
        }
        Assert.Equal(InputLimits.DefaultMaxImagePixels, new SrTrainConfig().Datasets.Train.MaxImagePixels);
        using var ok = UpscaleImageIO.Read(path);
    }

    [Fact]
    public void PngHeaderBomb_IsRefusedFromItsHeader()
    {
        using var dir = new TempDir();
        var path = dir.File("bomb.png");
        File.WriteAllBytes(path, HostileFiles.PngHeaderBomb(20000, 20000));
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var e = Assert.Throws<SrTrainException>(() => ImageFile.ReadRgb(path));
        Assert.Contains("20000x20000", e.Message);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 64L << 20);
    }
}
