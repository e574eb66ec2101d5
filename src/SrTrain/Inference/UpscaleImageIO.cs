using Serilog;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SrTrain.Data;
using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Inference;

/// <summary>Reading and writing for the <c>upscale</c> command. The network always sees RGB in [0,1]; what the file
/// was (grey, alpha, 16-bit) is restored on output, following Real-ESRGAN's <c>RealESRGANer.enhance</c>: grey goes
/// in replicated to RGB and comes back as BT.601 grey (0.299 R + 0.587 G + 0.114 B, as cv2 RGB2GRAY); alpha is
/// upscaled on its own (<see cref="AlphaUpscale"/>) and recombined. The output format follows the output file's
/// extension; 16 bits per channel are written when the input had them and the output is PNG.</summary>
public static class UpscaleImageIO
{
    /// <summary>JPEG output quality; cv2.imwrite's default, which Real-ESRGAN's script relies on.</summary>
    public const int JpegQuality = 95;

    /// <summary>Upscales one image file into another. <paramref name="upscale"/> maps (1,3,h,w) in [0,1] to
    /// (1,3,h·s,w·s) for an integer s (e.g. <see cref="TiledUpscaler.Upscale"/>). Returns the input's layout, which
    /// the output keeps as far as its format allows.</summary>
    /// <param name="outScale">Real-ESRGAN's <c>--outscale</c>: the final size is the input's times this (truncated to
    /// whole pixels, as Real-ESRGAN's script does), reached by resizing the model's output; null = the model's scale.</param>
    public static ImageLayout UpscaleFile(string inputPath, string outputPath, Func<Tensor, Tensor> upscale,
        AlphaUpscale alphaMode = AlphaUpscale.Generator, ILogger? log = null, double? outScale = null)
    {
        using var input = Read(inputPath);
        if (ImageFile.HasExtraFrames(inputPath)) log?.Warning("{Input} is an animated GIF; only its first frame is upscaled", inputPath);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var rgb = upscale(input.Rgb);
        int scale = CheckScale(input.Rgb, rgb, inputPath);
        Tensor? alpha = null;
        if (input.Alpha is not null)
            alpha = alphaMode switch
            {
                AlphaUpscale.Generator => ToGrey(upscale(input.Alpha.expand(-1, 3, -1, -1).contiguous())),
                AlphaUpscale.Bicubic => nn.functional.interpolate(input.Alpha, size: new long[] { rgb.shape[2], rgb.shape[3] },
                    mode: InterpolationMode.Bicubic, align_corners: false),
                _ => throw new ArgumentOutOfRangeException(nameof(alphaMode), alphaMode, null),
            };
        if (outScale is { } os && os != scale)
        {
            var size = new long[] { (long)(input.Rgb.shape[2] * os), (long)(input.Rgb.shape[3] * os) };
            rgb = Resize(rgb, size);
            if (alpha is not null) alpha = Resize(alpha, size);
        }
        log?.Debug("Upscaled {Input} x{Scale} ({Layout}); alpha by {AlphaMode}", inputPath, outScale ?? scale, input.Layout, alphaMode);
        Write(rgb, alpha, input.Layout, outputPath);
        return input.Layout;
    }

    /// <summary>Reads the layout of an image file from its header, without decoding pixels.</summary>
    public static ImageLayout Identify(string path)
    {
        if (!File.Exists(path)) throw new SrTrainException($"{path}: file not found");
        RegularFile.Require(path);
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(path, out format);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or IOException or UnauthorizedAccessException))
        {
            throw new SrTrainException($"{path}: not a readable image ({SrTrainException.FirstLine(e)})");
        }
        if (info is null || format is null) throw new SrTrainException($"{path}: not a readable image (unknown format)");
        return Describe(info, format, path);
    }

    static ImageLayout Describe(IImageInfo info, IImageFormat format, string path)
    {
        if (format == PngFormat.Instance)
        {
            var png = info.Metadata.GetPngMetadata();
            bool grey = png.ColorType is PngColorType.Grayscale or PngColorType.GrayscaleWithAlpha;
            // ImageSharp reports a palette's tRNS (alpha per palette entry) in the decoded pixels but not in the
            // metadata: without looking for the chunk, a transparent palette PNG came out opaque.
            bool alpha = png.ColorType is PngColorType.GrayscaleWithAlpha or PngColorType.RgbWithAlpha || png.HasTransparency
                         || (png.ColorType == PngColorType.Palette && PngHasTransparencyChunk(path));
            return new ImageLayout(grey, alpha, png.BitDepth == PngBitDepth.Bit16);
        }
        if (format == JpegFormat.Instance)
            return new ImageLayout(info.Metadata.GetJpegMetadata().ColorType == JpegColorType.Luminance, false, false);
        // Other formats: colour, 8-bit, alpha as the decoder reports it.
        var representation = info.PixelType?.AlphaRepresentation;
        return new ImageLayout(false, representation is PixelAlphaRepresentation.Associated or PixelAlphaRepresentation.Unassociated, false);
    }

    /// <summary>Whether a PNG has a tRNS chunk (before its image data, where the format puts it). Walks the chunk
    /// headers only.</summary>
    static bool PngHasTransparencyChunk(string path)
    {
        using var f = RegularFile.OpenRead(path);
        var header = new byte[8];
        long position = 8; // the signature
        while (position + 8 <= f.Length)
        {
            f.Position = position;
            f.ReadExactly(header);
            long length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = System.Text.Encoding.ASCII.GetString(header, 4, 4);
            if (type == "tRNS") return true;
            if (type is "IDAT" or "IEND") return false;
            position += 12 + length; // length, type, data, CRC
        }
        return false;
    }

    /// <summary>Reads an image for upscaling (see <see cref="UpscaleInput"/>). Decoding goes through 16 bits per
    /// channel, so 16-bit values arrive exactly and an 8-bit value v arrives as v/255.</summary>
    public static UpscaleInput Read(string path)
    {
        var layout = Identify(path);
        using var image = ImageFile.LoadRgba64(path);
        int h = image.Height, w = image.Width, plane = h * w;
        var rgb = new float[3 * plane];
        var alpha = layout.HasAlpha ? new float[plane] : null;
        ImageFile.Fill(image, rgb, alpha);
        var rgbTensor = torch.tensor(rgb, new long[] { 1, 3, h, w }, device: torch.CPU);
        var alphaTensor = alpha is null ? null : torch.tensor(alpha, new long[] { 1, 1, h, w }, device: torch.CPU);
        return new UpscaleInput(rgbTensor, alphaTensor, layout);
    }

    /// <summary>Writes (1,3,H,W) colour and optional (1,1,H,W) alpha, both in [0,1], in the given layout: grey layouts
    /// store BT.601 grey of the colour; 16 bits are kept for PNG. The format follows <paramref name="path"/>'s
    /// extension. Values are clamped to [0,1] and rounded to the nearest level.</summary>
    public static void Write(Tensor rgb, Tensor? alpha, ImageLayout layout, string path)
    {
        var format = Configuration.Default.ImageFormatsManager.FindFormatByFileExtension(Path.GetExtension(path).TrimStart('.'));
        if (format is null)
            throw new SrTrainException($"{path}: unknown image extension (use .png, .jpg, .bmp, .tga, .tiff, .webp or .gif)");
        bool isPng = format == PngFormat.Instance;
        bool sixteen = layout.SixteenBit && isPng;
        bool hasAlpha = layout.HasAlpha && alpha is not null;
        int max = sixteen ? 65535 : 255;

        using var scope = torch.NewDisposeScope();
        var colour = rgb.dim() == 4 ? rgb[0] : rgb;
        if (colour.dim() != 3 || colour.shape[0] != 3)
            throw new ArgumentException($"expected a (1,3,H,W) colour tensor, got shape [{string.Join(",", rgb.shape)}]");
        int h = (int)colour.shape[1], w = (int)colour.shape[2];
        var planes = layout.Grey ? ToGrey(colour.unsqueeze(0))[0] : colour;
        var levels = ToLevels(planes, max);
        int[]? alphaLevels = null;
        if (hasAlpha)
        {
            var a = alpha!.dim() == 4 ? alpha[0] : alpha;
            if (a.shape[^2] != h || a.shape[^1] != w)
                throw new ArgumentException($"alpha shape [{string.Join(",", alpha.shape)}] does not match the {h}x{w} colour image");
            alphaLevels = ToLevels(a, max);
        }

        using var image = Build(levels, alphaLevels, layout.Grey, sixteen, w, h);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        if (isPng)
        {
            image.Save(path, new PngEncoder
            {
                ColorType = (layout.Grey, hasAlpha) switch
                {
                    (true, true) => PngColorType.GrayscaleWithAlpha,
                    (true, false) => PngColorType.Grayscale,
                    (false, true) => PngColorType.RgbWithAlpha,
                    (false, false) => PngColorType.Rgb,
                },
                BitDepth = sixteen ? PngBitDepth.Bit16 : PngBitDepth.Bit8,
            });
        }
        else if (format == JpegFormat.Instance)
        {
            image.Save(path, new JpegEncoder
            {
                Quality = JpegQuality,
                ColorType = layout.Grey ? JpegColorType.Luminance : JpegColorType.YCbCrRatio420,
            });
        }
        else
        {
            image.Save(path);
        }
    }

    /// <summary>BT.601 luma of (1,3,H,W) → (1,1,H,W), the weights of cv2's RGB2GRAY that Real-ESRGAN uses for grey
    /// images and model-upscaled alpha. Computed in float64 so a grey input (R=G=B) comes back unchanged.</summary>
    static Tensor ToGrey(Tensor rgb)
    {
        var weights = torch.tensor(new[] { 0.299, 0.587, 0.114 }, dtype: ScalarType.Float64, device: rgb.device).view(1, 3, 1, 1);
        return (rgb.to(ScalarType.Float64) * weights).sum(1, keepdim: true);
    }

    static int[] ToLevels(Tensor chw, int max)
    {
        using var maxLevel = ((double)max).ToScalar(); // disposed after the call, never finalised while libtorch reads it
        return chw.detach().to(torch.CPU).to(ScalarType.Float64).clamp(Scalars.Zero, Scalars.One).mul(maxLevel).round().to(ScalarType.Int32).contiguous().data<int>().ToArray();
    }

    static Image Build(int[] levels, int[]? alpha, bool grey, bool sixteen, int w, int h)
    {
        int plane = w * h;
        // Levels are already clamped to [0, max], so the narrowing casts below are exact.
        return (grey, alpha is not null, sixteen) switch
        {
            (true, false, true) => Image.LoadPixelData(Pixels(plane, i => new L16((ushort)levels[i])), w, h),
            (true, false, false) => Image.LoadPixelData(Pixels(plane, i => new L8((byte)levels[i])), w, h),
            (true, true, true) => Image.LoadPixelData(Pixels(plane, i => new La32((ushort)levels[i], (ushort)alpha![i])), w, h),
            (true, true, false) => Image.LoadPixelData(Pixels(plane, i => new La16((byte)levels[i], (byte)alpha![i])), w, h),
            (false, false, true) => Image.LoadPixelData(Pixels(plane,
                i => new Rgb48((ushort)levels[i], (ushort)levels[plane + i], (ushort)levels[2 * plane + i])), w, h),
            (false, false, false) => Image.LoadPixelData(Pixels(plane,
                i => new Rgb24((byte)levels[i], (byte)levels[plane + i], (byte)levels[2 * plane + i])), w, h),
            (false, true, true) => Image.LoadPixelData(Pixels(plane,
                i => new Rgba64((ushort)levels[i], (ushort)levels[plane + i], (ushort)levels[2 * plane + i], (ushort)alpha![i])), w, h),
            (false, true, false) => (Image)Image.LoadPixelData(Pixels(plane,
                i => new Rgba32((byte)levels[i], (byte)levels[plane + i], (byte)levels[2 * plane + i], (byte)alpha![i])), w, h),
        };
    }

    static T[] Pixels<T>(int n, Func<int, T> pixel)
    {
        var result = new T[n];
        for (int i = 0; i < n; i++) result[i] = pixel(i);
        return result;
    }

    /// <summary>Bicubic resize of the model's output to the <c>--outscale</c> size; antialiased when it shrinks, so an x4
    /// model's output brought to x2 does not alias. <see cref="Write"/> clamps the overshoot.</summary>
    static Tensor Resize(Tensor t, long[] size)
    {
        if (size[0] < 1 || size[1] < 1) throw new SrTrainException($"--outscale: the output would be {size[1]}x{size[0]} pixels");
        bool shrinks = size[0] < t.shape[2] || size[1] < t.shape[3];
        return nn.functional.interpolate(t, size: size, mode: InterpolationMode.Bicubic, align_corners: false, antialias: shrinks);
    }

    static int CheckScale(Tensor lq, Tensor sr, string path)
    {
        long h = lq.shape[2], w = lq.shape[3];
        if (sr.dim() != 4 || sr.shape[0] != 1 || sr.shape[1] != 3 || sr.shape[2] % h != 0 || sr.shape[2] / h != sr.shape[3] / w || sr.shape[3] % w != 0)
            throw new InvalidOperationException(
                $"{path}: the upscaler turned a {h}x{w} image into shape [{string.Join(",", sr.shape)}], not (1,3,s·{h},s·{w})");
        return (int)(sr.shape[2] / h);
    }
}
