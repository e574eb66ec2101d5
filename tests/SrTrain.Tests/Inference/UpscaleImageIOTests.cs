using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SrTrain.Inference;
using SrTrain.Runtime;
using SrTrain.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using Size = SixLabors.ImageSharp.Size;

namespace SrTrain.Tests.Inference;

public sealed class UpscaleImageIOTests : IDisposable
{
    static UpscaleImageIOTests() => NativeRuntime.EnsureLoaded();

    readonly TempDir _dir = new("srtrain-upscaleio");

    public void Dispose() => _dir.Dispose();

    string PathFor(string name) => _dir.File(name);

    static TiledUpscaler Nearest(int scale) =>
        new(x => nn.functional.interpolate(x, scale_factor: new double[] { scale, scale }, mode: InterpolationMode.Nearest), scale, tile: 0);

    static T[] PixelsOf<T>(Image<T> image) where T : unmanaged, IPixel<T>
    {
        var pixels = new T[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    static PngMetadata PngInfo(string path, out Size size)
    {
        var info = Image.Identify(path);
        size = info.Size();
        return info.Metadata.GetPngMetadata();
    }

    [Fact]
    public void GreyPng_StaysGrey_AndKeepsValues_WithNearestUpscaler()
    {
        var rng = new Random(1);
        var values = Enumerable.Range(0, 12 * 10).Select(_ => new L8((byte)rng.Next(256))).ToArray();
        using (var img = Image.LoadPixelData(values, 12, 10))
            img.Save(PathFor("grey.png"), new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 });

        var layout = UpscaleImageIO.UpscaleFile(PathFor("grey.png"), PathFor("grey_x4.png"), Nearest(4));

        Assert.Equal(new ImageLayout(Grey: true, HasAlpha: false, SixteenBit: false), layout);
        var png = PngInfo(PathFor("grey_x4.png"), out var size);
        Assert.Equal(new Size(48, 40), size);
        Assert.Equal(PngColorType.Grayscale, png.ColorType);
        Assert.Equal(PngBitDepth.Bit8, png.BitDepth);
        using var result = Image.Load<L8>(PathFor("grey_x4.png"));
        var outPixels = PixelsOf(result);
        for (int y = 0; y < 40; y++)
            for (int x = 0; x < 48; x++)
                Assert.Equal(values[(y / 4) * 12 + x / 4].PackedValue, outPixels[y * 48 + x].PackedValue);
    }

    /// <summary>A 16x16 RGBA image whose alpha is 0 in the left half and 200 in the right half.</summary>
    string WriteHalfTransparent()
    {
        var rng = new Random(2);
        var pixels = new Rgba32[16 * 16];
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
                pixels[y * 16 + x] = new Rgba32((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256), (byte)(x < 8 ? 0 : 200));
        using var img = Image.LoadPixelData(pixels, 16, 16);
        var path = PathFor("rgba.png");
        img.Save(path, new PngEncoder { ColorType = PngColorType.RgbWithAlpha, BitDepth = PngBitDepth.Bit8 });
        return path;
    }

    [Fact]
    public void RgbaPng_KeepsAlpha_UpscaledBicubically_FlatAreasExact()
    {
        var input = WriteHalfTransparent();
        UpscaleImageIO.UpscaleFile(input, PathFor("rgba_x4.png"), Nearest(4), AlphaUpscale.Bicubic);

        var png = PngInfo(PathFor("rgba_x4.png"), out var size);
        Assert.Equal(new Size(64, 64), size);
        Assert.Equal(PngColorType.RgbWithAlpha, png.ColorType);
        using var result = Image.Load<Rgba32>(PathFor("rgba_x4.png"));
        var a = PixelsOf(result).Select(p => (int)p.A).ToArray();
        for (int y = 0; y < 64; y++)
        {
            // Bicubic reaches 2 LQ px (8 output px) from the edge at x = 32; beyond that both halves are flat.
            for (int x = 0; x < 24; x++) Assert.Equal(0, a[y * 64 + x]);
            for (int x = 40; x < 64; x++) Assert.Equal(200, a[y * 64 + x]);
            // At the edge the mask is interpolated, not copied: the two pixels astride it are mid-way.
            Assert.InRange(a[y * 64 + 31], 60, 140);
            Assert.InRange(a[y * 64 + 32], 60, 140);
        }
    }

    [Fact]
    public void RgbaPng_AlphaGoesThroughGenerator_ByDefault()
    {
        var input = WriteHalfTransparent();
        UpscaleImageIO.UpscaleFile(input, PathFor("rgba_x2.png"), Nearest(2));

        using var source = Image.Load<Rgba32>(input);
        using var result = Image.Load<Rgba32>(PathFor("rgba_x2.png"));
        var inPixels = PixelsOf(source);
        var outPixels = PixelsOf(result);
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
                Assert.Equal(inPixels[(y / 2) * 16 + x / 2], outPixels[y * 32 + x]);
    }

    [Fact]
    public void SixteenBitPng_StaysSixteenBit_WithExactValues()
    {
        // Values that are not multiples of 257 would not survive a trip through 8 bits.
        var rng = new Random(3);
        var pixels = Enumerable.Range(0, 9 * 7)
            .Select(_ => new Rgb48((ushort)rng.Next(65536), (ushort)rng.Next(65536), (ushort)rng.Next(65536))).ToArray();
        Assert.Contains(pixels, p => p.R % 257 != 0);
        using (var img = Image.LoadPixelData(pixels, 9, 7))
            img.Save(PathFor("deep.png"), new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 });

        var layout = UpscaleImageIO.UpscaleFile(PathFor("deep.png"), PathFor("deep_x2.png"), Nearest(2));

        Assert.Equal(new ImageLayout(Grey: false, HasAlpha: false, SixteenBit: true), layout);
        var png = PngInfo(PathFor("deep_x2.png"), out var size);
        Assert.Equal(new Size(18, 14), size);
        Assert.Equal(PngBitDepth.Bit16, png.BitDepth);
        Assert.Equal(PngColorType.Rgb, png.ColorType);
        using var result = Image.Load<Rgb48>(PathFor("deep_x2.png"));
        var outPixels = PixelsOf(result);
        for (int y = 0; y < 14; y++)
            for (int x = 0; x < 18; x++)
                Assert.Equal(pixels[(y / 2) * 9 + x / 2], outPixels[y * 18 + x]);
    }

    [Fact]
    public void SixteenBitGreyPng_StaysSixteenBitGrey_WithExactValues()
    {
        var rng = new Random(4);
        var pixels = Enumerable.Range(0, 6 * 5).Select(_ => new L16((ushort)rng.Next(65536))).ToArray();
        using (var img = Image.LoadPixelData(pixels, 6, 5))
            img.Save(PathFor("deep_grey.png"), new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16 });

        UpscaleImageIO.UpscaleFile(PathFor("deep_grey.png"), PathFor("deep_grey_x3.png"), Nearest(3));

        var png = PngInfo(PathFor("deep_grey_x3.png"), out var size);
        Assert.Equal(new Size(18, 15), size);
        Assert.Equal((PngColorType.Grayscale, PngBitDepth.Bit16), (png.ColorType!.Value, png.BitDepth!.Value));
        using var result = Image.Load<L16>(PathFor("deep_grey_x3.png"));
        var outPixels = PixelsOf(result);
        for (int y = 0; y < 15; y++)
            for (int x = 0; x < 18; x++)
                Assert.Equal(pixels[(y / 3) * 6 + x / 3], outPixels[y * 18 + x]);
    }

    [Fact]
    public void Upscale_FailsWithOneLineMessage_ForMissingFileOrUnknownExtension()
    {
        var missing = Assert.Throws<SrTrainException>(() => UpscaleImageIO.Read(PathFor("nope.png")));
        Assert.Contains("nope.png", missing.Message);
        var input = WriteHalfTransparent();
        var badExt = Assert.Throws<SrTrainException>(() => UpscaleImageIO.UpscaleFile(input, PathFor("out.xyz"), Nearest(2)));
        Assert.Contains("out.xyz", badExt.Message);
    }

    [Theory]
    [InlineData(AlphaUpscale.Generator)]
    [InlineData(AlphaUpscale.Bicubic)]
    public void TiledFileUpscale_WritesWhatTheWholeImageGives_ColourAndAlpha(AlphaUpscale alpha)
    {
        // The bounded path (tiles read from the 8-bit input, bands written into the 8-bit output) against one piece.
        var input = PathFor("rgba.png");
        using (var img = new Image<Rgba32>(45, 31))
        {
            for (int y = 0; y < 31; y++)
                for (int x = 0; x < 45; x++)
                    img[x, y] = new Rgba32((byte)(x * 5), (byte)(y * 8), (byte)((x + y) * 3), (byte)(255 - x * y % 256));
            img.SaveAsPng(input);
        }
        var nearest = Nearest(3);
        var tiled = new TiledUpscaler(x => nn.functional.interpolate(x, scale_factor: new double[] { 3, 3 }, mode: InterpolationMode.Nearest),
            3, tile: 8, overlap: 4);
        UpscaleImageIO.UpscaleFile(input, PathFor("whole.png"), nearest, alpha);
        UpscaleImageIO.UpscaleFile(input, PathFor("tiled.png"), tiled, alpha);
        using var a = Image.Load<Rgba32>(PathFor("whole.png"));
        using var b = Image.Load<Rgba32>(PathFor("tiled.png"));
        var pa = PixelsOf(a);
        var pb = PixelsOf(b);
        int maxDiff = 0;
        for (int i = 0; i < pa.Length; i++)
        {
            Assert.Equal((pa[i].R, pa[i].G, pa[i].B), (pb[i].R, pb[i].G, pb[i].B));
            maxDiff = Math.Max(maxDiff, Math.Abs(pa[i].A - pb[i].A));
        }
        // Bicubic alpha in tiles equals the whole image's up to float rounding: at most one level, rarely.
        Assert.True(maxDiff <= (alpha == AlphaUpscale.Bicubic ? 1 : 0), $"alpha differs by {maxDiff}");
    }
}
