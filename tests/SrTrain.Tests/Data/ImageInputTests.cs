using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SrTrain.Data;
using SrTrain.Tests.Support;
using TorchSharp;
using static SrTrain.Tests.Data.DataTestUtil;

namespace SrTrain.Tests.Data;

public class ImageInputTests
{
    public ImageInputTests() => EnsureTorch();

    [Fact]
    public void GreyAndRgbaImages_BecomeThreeChannels()
    {
        var grey = ImageFile.ReadRgbImage(TestFile("camera.png"));
        Assert.Equal((512, 512), (grey.Height, grey.Width));
        for (int i = 0; i < 1000; i += 37)
        {
            Assert.Equal(grey.Data[i], grey.Data[512 * 512 + i]);
            Assert.Equal(grey.Data[i], grey.Data[2 * 512 * 512 + i]);
        }
        using var logo = Image.Load<Rgba32>(TestFile("logo.png"));
        var rgb = ImageFile.ReadRgbImage(TestFile("logo.png"));
        var p = logo[100, 200];
        Assert.Equal(p.R / 255f, rgb[0, 200, 100], 6);
        Assert.Equal(p.B / 255f, rgb[2, 200, 100], 6);
    }

    [Fact]
    public void SixteenBitPng_KeepsItsPrecision()
    {
        using var dir = new TempDir();
        using (var img = new Image<Rgb48>(8, 4))
        {
            img[1, 2] = new Rgb48(1, 32769, 65535);
            img.SaveAsPng(dir.File("deep.png"), new SixLabors.ImageSharp.Formats.Png.PngEncoder { BitDepth = SixLabors.ImageSharp.Formats.Png.PngBitDepth.Bit16 });
        }
        var rgb = ImageFile.ReadRgbImage(dir.File("deep.png"));
        Assert.Equal(1 / 65535f, rgb[0, 2, 1], 9);
        Assert.Equal(32769 / 65535f, rgb[1, 2, 1], 7);
        Assert.Equal(1f, rgb[2, 2, 1]);
    }

    [Fact]
    public void OtherFormats_AreFoundAndDecoded()
    {
        using var dir = new TempDir();
        using (var img = Image.Load<Rgb24>(TestFile("chelsea_hq.png")))
        {
            img.SaveAsJpeg(dir.File("a.jpg"));
            img.SaveAsBmp(dir.File("b.bmp"));
            img.SaveAsTiff(dir.File("c.tiff"));
            img.SaveAsWebp(dir.File("d.webp"), new SixLabors.ImageSharp.Formats.Webp.WebpEncoder { FileFormat = SixLabors.ImageSharp.Formats.Webp.WebpFileFormatType.Lossless });
        }
        var reference = ImageFile.ReadRgbImage(TestFile("chelsea_hq.png"));
        var p = new DataPipeline(new DataPipelineOptions { HqDir = dir.Path, GtSize = 64, BatchSize = 16 });
        Assert.Equal(4, p.ImageCount);
        Assert.Equal(0, p.SkippedFileCount);
        Assert.Equal(reference.Data, ImageFile.ReadRgbImage(dir.File("b.bmp")).Data);
        Assert.Equal(reference.Data, ImageFile.ReadRgbImage(dir.File("d.webp")).Data);
        Assert.Equal(reference.Data, ImageFile.ReadRgbImage(dir.File("c.tiff")).Data);
        using var scope = torch.NewDisposeScope();
        Assert.Equal(4, p.GetBatch(0).Samples.Select(s => s.Image).Concat(p.GetBatch(1).Samples.Select(s => s.Image)).Distinct().Count());
    }

    [Fact]
    public void ValidationSet_HqOnly_MakesBasicSrLq_AndPairedUsesTheFiles()
    {
        using var dir = new TempDir();
        using var lqDir = new TempDir();
        File.Copy(TestFile("chelsea_hq.png"), dir.File("chelsea.png"));
        // 451 wide in the original photo: check the crop to a multiple of 4 with an odd-sized copy.
        using (var img = Image.Load<Rgb24>(TestFile("coffee_hq.png")))
        {
            img.Mutate(x => x.Crop(new Rectangle(0, 0, 403, 301)));
            img.SaveAsPng(dir.File("coffee.png"));
        }
        var set = ValidationSet.LoadValidationSet(dir.Path, null, 4);
        Assert.Equal(new[] { "chelsea", "coffee" }, set.Select(s => s.Name));
        Assert.Equal(new long[] { 1, 3, 75, 100 }, set[1].Lq.shape);
        Assert.Equal(new long[] { 1, 3, 300, 400 }, set[1].Hq.shape);
        var expected = ImageFile.ReadRgb(TestFile("chelsea_lqx4.png"));
        var (max, fraction) = CompareBytes(ToBytes(set[0].Lq[0]), ToBytes(expected));
        Assert.True(max <= 1 && fraction < 0.01, $"max {max}, {fraction:P3}");

        File.Copy(TestFile("chelsea_lqx4.png"), lqDir.File("chelsea.png"));
        File.Delete(dir.File("coffee.png"));
        var paired = ValidationSet.LoadValidationSet(dir.Path, lqDir.Path, 4);
        Assert.True(Same(paired[0].Lq[0], expected));
        foreach (var p in set.Concat(paired)) p.Dispose();
    }
}
