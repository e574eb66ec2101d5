using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SrTrain.Data;
using SrTrain.Tests.Support;
using TorchSharp;
using static SrTrain.Tests.Data.DataTestUtil;

namespace SrTrain.Tests.Data;

public sealed class PixelImageTests
{
    static PixelImageTests() => EnsureTorch();

    [Theory]
    [InlineData("chelsea_hq.png")] // 8-bit RGB
    [InlineData("camera.png")]     // 8-bit grey
    [InlineData("logo.png")]       // 8-bit RGBA
    public void EightBitFile_IsHeldInThreeBytesAPixel_AndReadsAsReadRgb(string name)
    {
        using var scope = torch.NewDisposeScope();
        using var image = PixelImage.Load(TestFile(name));
        Assert.False(image.SixteenBit);
        Assert.Equal(3L * image.Width * image.Height, image.Bytes);
        var expected = ImageFile.ReadRgb(TestFile(name)).unsqueeze(0);
        Assert.True(Same(expected, image.ReadTile(0, 0, image.Height, image.Width)));
    }

    [Fact]
    public void SixteenBitPng_KeepsItsSixteenBits()
    {
        using var dir = new TempDir("srtrain-pixelimage");
        var path = dir.File("deep.png");
        using (var img = new Image<Rgb48>(37, 23))
        {
            for (int y = 0; y < 23; y++)
                for (int x = 0; x < 37; x++)
                    img[x, y] = new Rgb48((ushort)(x * 1771 + y), (ushort)(65535 - y * 2801), (ushort)(x * y * 77));
            img.SaveAsPng(path, new SixLabors.ImageSharp.Formats.Png.PngEncoder { BitDepth = SixLabors.ImageSharp.Formats.Png.PngBitDepth.Bit16 });
        }
        using var scope = torch.NewDisposeScope();
        using var image = PixelImage.Load(path);
        Assert.True(image.SixteenBit);
        Assert.Equal(6L * 37 * 23, image.Bytes);
        Assert.True(Same(ImageFile.ReadRgb(path).unsqueeze(0), image.ReadTile(0, 0, 23, 37)));
    }

    [Fact]
    public void CropAndReflectPadViews_CutTheSamePatchesAsRgbImage()
    {
        // chelsea_lqx4 is 112x75: cropped to multiples of 4 (112x72), then padded to 128x128 by reflection.
        var path = TestFile("chelsea_lqx4.png");
        var reference = ImageFile.ReadRgbImage(path).CropToMultiple(4).ReflectPadTo(128, 128);
        using var image = PixelImage.Load(path);
        var view = image.CropToMultiple(4).ReflectPadTo(128, 128);
        Assert.Equal((reference.Height, reference.Width), (view.Height, view.Width));
        foreach (var (top, left, h, w) in new[] { (0, 0, 128, 128), (60, 100, 40, 28), (5, 7, 9, 11) })
            Assert.Equal(reference.Crop(top, left, h, w).Data, view.Crop(top, left, h, w).Data);
    }

    [Fact]
    public void MatlabResize_OfAnEightBitImage_EqualsTheFloatImagesResize()
    {
        var path = TestFile("coffee_hq.png");
        var expected = MatlabResize.Resize(ImageFile.ReadRgbImage(path), 0.25);
        using var image = PixelImage.Load(path);
        var banded = MatlabResize.Resize(image, 0.25);
        Assert.Equal(expected.Data, banded.Data);
        var window = MatlabResize.ResizeWindow(image, 0.25, 30, 40, 24, 24);
        Assert.Equal(expected.Crop(30, 40, 24, 24).Data, window.Data);
    }
}
