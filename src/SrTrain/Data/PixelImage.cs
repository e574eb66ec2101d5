using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Data;

/// <summary>A decoded image kept at its file's bit depth (3 bytes a pixel, 4 with alpha, twice that for 16-bit files)
/// and turned into float only a window at a time: training cuts its patches from it, <c>upscale</c> its tiles and
/// <c>eval</c> its bands, so a 100 MP photo costs 300 MB here instead of 1.2 GB as float RGB.
///
/// A view may be smaller than the decoded pixels (the bottom/right cropped, as <see cref="RgbImage.CropToMultiple"/>)
/// and larger than that (padded at the bottom/right by reflection of the cropped image, as
/// <see cref="RgbImage.ReflectPadTo"/>) without copying: reads map the coordinates. Views share the decoded pixels;
/// dispose one of them when all are done (reads are thread-safe).</summary>
internal sealed class PixelImage : IDisposable
{
    // Image<Rgb24>, Image<Rgba32>, Image<Rgb48> or Image<Rgba64> (ImageFile.LoadCompact).
    readonly Image _image;
    readonly int _baseHeight, _baseWidth;

    PixelImage(Image image, int baseHeight, int baseWidth, int height, int width)
    {
        _image = image;
        _baseHeight = baseHeight;
        _baseWidth = baseWidth;
        Height = height;
        Width = width;
    }

    /// <summary>Decodes a file (checks and orientation as <see cref="ImageFile.LoadCompact"/>).</summary>
    /// <param name="alpha">Keep the alpha channel (otherwise it is dropped and <see cref="ReadRow"/> gives 1).</param>
    public static PixelImage Load(string path, bool alpha = false, long? maxPixels = null)
    {
        var image = ImageFile.LoadCompact(path, alpha, maxPixels);
        return new PixelImage(image, image.Height, image.Width, image.Height, image.Width);
    }

    public int Height { get; }
    public int Width { get; }

    /// <summary>The file held 16 bits per channel, kept as such.</summary>
    public bool SixteenBit => _image is Image<Rgb48> or Image<Rgba64>;

    public bool HasAlpha => _image is Image<Rgba32> or Image<Rgba64>;

    /// <summary>Bytes of decoded pixels behind this view.</summary>
    public long Bytes => (long)_image.Width * _image.Height * _image.PixelType.BitsPerPixel / 8;

    /// <summary>The view cropped at the bottom/right to multiples of <paramref name="multiple"/> (top-left kept, so
    /// HQ pixel (y, x) stays over LQ pixel (y/scale, x/scale)).</summary>
    public PixelImage CropToMultiple(int multiple)
    {
        int h = Height / multiple * multiple, w = Width / multiple * multiple;
        return h == Height && w == Width ? this : new PixelImage(_image, h, w, h, w);
    }

    /// <summary>The view padded at the bottom/right to at least the given size by reflection (the edge pixel not
    /// repeated, as numpy/cv2 reflect_101), like <see cref="RgbImage.ReflectPadTo"/>.</summary>
    public PixelImage ReflectPadTo(int minHeight, int minWidth)
    {
        if (Height != _baseHeight || Width != _baseWidth) throw new InvalidOperationException("the view is already padded");
        int h = Math.Max(Height, minHeight), w = Math.Max(Width, minWidth);
        return h == Height && w == Width ? this : new PixelImage(_image, _baseHeight, _baseWidth, h, w);
    }

    /// <summary>Reads <paramref name="count"/> pixels of row <paramref name="y"/> from column <paramref name="x0"/> as
    /// floats in [0,1] (v/255 or v/65535, the values <see cref="ImageFile.ReadRgb"/> gives) into planar spans.
    /// <paramref name="a"/> may be empty; without an alpha channel it is filled with 1.</summary>
    public void ReadRow(int y, int x0, int count, Span<float> r, Span<float> g, Span<float> b, Span<float> a)
    {
        if (y < 0 || y >= Height || x0 < 0 || count < 0 || x0 + count > Width)
            throw new ArgumentOutOfRangeException(nameof(y), $"row {y} columns {x0}..{x0 + count} outside {Height}x{Width}");
        int sy = Reflect(y, _baseHeight);
        bool direct = x0 + count <= _baseWidth;
        bool wantAlpha = !a.IsEmpty;
        switch (_image)
        {
            case Image<Rgb24> image:
            {
                var row = image.DangerousGetPixelRowMemory(sy).Span;
                for (int k = 0; k < count; k++)
                {
                    var p = row[direct ? x0 + k : Reflect(x0 + k, _baseWidth)];
                    r[k] = p.R / 255f; g[k] = p.G / 255f; b[k] = p.B / 255f;
                }
                if (wantAlpha) a[..count].Fill(1f);
                break;
            }
            case Image<Rgba32> image:
            {
                var row = image.DangerousGetPixelRowMemory(sy).Span;
                for (int k = 0; k < count; k++)
                {
                    var p = row[direct ? x0 + k : Reflect(x0 + k, _baseWidth)];
                    r[k] = p.R / 255f; g[k] = p.G / 255f; b[k] = p.B / 255f;
                    if (wantAlpha) a[k] = p.A / 255f;
                }
                break;
            }
            case Image<Rgb48> image:
            {
                var row = image.DangerousGetPixelRowMemory(sy).Span;
                for (int k = 0; k < count; k++)
                {
                    var p = row[direct ? x0 + k : Reflect(x0 + k, _baseWidth)];
                    r[k] = p.R / 65535f; g[k] = p.G / 65535f; b[k] = p.B / 65535f;
                }
                if (wantAlpha) a[..count].Fill(1f);
                break;
            }
            case Image<Rgba64> image:
            {
                var row = image.DangerousGetPixelRowMemory(sy).Span;
                for (int k = 0; k < count; k++)
                {
                    var p = row[direct ? x0 + k : Reflect(x0 + k, _baseWidth)];
                    r[k] = p.R / 65535f; g[k] = p.G / 65535f; b[k] = p.B / 65535f;
                    if (wantAlpha) a[k] = p.A / 65535f;
                }
                break;
            }
        }
    }

    /// <summary>A window as a float RGB image (a training patch).</summary>
    public RgbImage Crop(int top, int left, int height, int width)
    {
        if (top < 0 || left < 0 || height <= 0 || width <= 0 || top + height > Height || left + width > Width)
            throw new ArgumentOutOfRangeException(nameof(top), $"crop {height}x{width} at ({top},{left}) outside {Height}x{Width}");
        var result = new RgbImage(height, width);
        var d = result.Data.AsSpan();
        int plane = height * width;
        for (int y = 0; y < height; y++)
            ReadRow(top + y, left, width, d.Slice(y * width, width), d.Slice(plane + y * width, width),
                d.Slice(2 * plane + y * width, width), default);
        return result;
    }

    /// <summary>A window as a (1,3,h,w) float tensor; with <paramref name="alphaAsRgb"/> the alpha channel replicated
    /// to three channels instead (what the generator upscales for transparency, as Real-ESRGAN does), or with
    /// <paramref name="alphaOnly"/> as (1,1,h,w).</summary>
    public Tensor ReadTile(int top, int left, int height, int width, bool alphaAsRgb = false, bool alphaOnly = false)
    {
        if (top < 0 || left < 0 || height <= 0 || width <= 0 || top + height > Height || left + width > Width)
            throw new ArgumentOutOfRangeException(nameof(top), $"tile {height}x{width} at ({top},{left}) outside {Height}x{Width}");
        int plane = height * width;
        if (alphaOnly || alphaAsRgb)
        {
            var alpha = new float[alphaAsRgb ? 3 * plane : plane];
            var rgb = new float[3 * width];
            for (int y = 0; y < height; y++)
                ReadRow(top + y, left, width, rgb.AsSpan(0, width), rgb.AsSpan(width, width), rgb.AsSpan(2 * width, width),
                    alpha.AsSpan(y * width, width));
            if (alphaAsRgb)
            {
                Array.Copy(alpha, 0, alpha, plane, plane);
                Array.Copy(alpha, 0, alpha, 2 * plane, plane);
            }
            return torch.tensor(alpha, new long[] { 1, alphaAsRgb ? 3 : 1, height, width }, device: torch.CPU);
        }
        var data = Crop(top, left, height, width).Data;
        return torch.tensor(data, new long[] { 1, 3, height, width }, device: torch.CPU);
    }

    static int Reflect(int i, int n)
    {
        if (i < n) return i;
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        i %= period;
        return i < n ? i : period - i;
    }

    public void Dispose() => _image.Dispose();
}
