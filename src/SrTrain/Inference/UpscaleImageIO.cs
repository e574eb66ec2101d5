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
internal static class UpscaleImageIO
{
    /// <summary>JPEG output quality; cv2.imwrite's default, which Real-ESRGAN's script relies on.</summary>
    public const int JpegQuality = 95;

    /// <summary>Upscales one image file into another through <paramref name="upscaler"/>, whose output is clamped to
    /// [0,1] before grey or alpha is made from it (as Real-ESRGAN's post_process clamps before its RGB2GRAY). Returns
    /// the input's layout, which the output keeps as far as its format allows.
    ///
    /// Memory: the input is held at its file's bit depth and the output at its own (<see cref="UpscaleCanvas"/>); in
    /// between only tiles and one band of output rows are float (<see cref="TiledUpscaler.UpscaleBands"/>), so a
    /// tiled upscale of a large photo costs its 8-bit buffers plus an amount set by the tile size and the width.</summary>
    /// <param name="outScale">Real-ESRGAN's <c>--outscale</c>: the final size is the input's times this (truncated to
    /// whole pixels, as Real-ESRGAN's script does), reached by resizing the model's output; null = the model's scale.
    /// A resize to another scale needs the model's whole output as float (memory grows with the image there).</param>
    public static ImageLayout UpscaleFile(string inputPath, string outputPath, TiledUpscaler upscaler,
        AlphaUpscale alphaMode = AlphaUpscale.Generator, ILogger? log = null, double? outScale = null)
    {
        var format = OutputFormat(outputPath);
        var layout = Identify(inputPath);
        using var input = PixelImage.Load(inputPath, alpha: layout.HasAlpha);
        if (ImageFile.HasExtraFrames(inputPath)) log?.Warning("{Input} is an animated GIF; only its first frame is upscaled", inputPath);
        int h = input.Height, w = input.Width, scale = upscaler.Scale;
        if (outScale is { } os && os != scale)
        {
            UpscaleWhole(input, layout, outputPath, upscaler, alphaMode, os);
            log?.Debug("Upscaled {Input} x{Scale} ({Layout}); alpha by {AlphaMode}", inputPath, os, layout, alphaMode);
            return layout;
        }

        bool sixteen = layout.SixteenBit && format == PngFormat.Instance;
        using var canvas = new UpscaleCanvas(w * scale, h * scale, layout.Grey, layout.HasAlpha, sixteen);
        upscaler.UpscaleBands(h, w, (top, left, th, tw) => input.ReadTile(top, left, th, tw), (rows, first) =>
        {
            CheckBand(rows, 3, w * scale, inputPath);
            var clamped = rows.clamp(Scalars.Zero, Scalars.One);
            canvas.SetColour(first, ToLevels(layout.Grey ? ToGrey(clamped)[0] : clamped[0], canvas.MaxLevel));
        });
        if (layout.HasAlpha)
        {
            // Alpha upscaled by the generator: its input replicated to RGB, its clamped output back to grey (Real-ESRGAN).
            // Bicubic alpha goes through the same bands, with enough overlap for the cubic kernel's reach of 2 pixels.
            var (alphaUpscaler, asRgb) = alphaMode switch
            {
                AlphaUpscale.Generator => (upscaler, true),
                AlphaUpscale.Bicubic => (new TiledUpscaler(x => nn.functional.interpolate(x, scale_factor: new double[] { scale, scale },
                    mode: InterpolationMode.Bicubic, align_corners: false), scale, upscaler.Tile, Math.Max(upscaler.Overlap, 4)), false),
                _ => throw new ArgumentOutOfRangeException(nameof(alphaMode), alphaMode, null),
            };
            alphaUpscaler.UpscaleBands(h, w, (top, left, th, tw) => input.ReadTile(top, left, th, tw, alphaAsRgb: asRgb, alphaOnly: !asRgb),
                (rows, first) =>
                {
                    CheckBand(rows, asRgb ? 3 : 1, w * scale, inputPath);
                    var a = asRgb ? ToGrey(rows.clamp(Scalars.Zero, Scalars.One)) : rows;
                    canvas.SetAlpha(first, ToLevels(a[0], canvas.MaxLevel));
                });
        }
        log?.Debug("Upscaled {Input} x{Scale} ({Layout}); alpha by {AlphaMode}", inputPath, scale, layout, alphaMode);
        Save(canvas.Image, layout.Grey, format, outputPath);
        return layout;
    }

    /// <summary>The <c>--outscale</c> path: the model's whole output as float, resized, then written.</summary>
    static void UpscaleWhole(PixelImage input, ImageLayout layout, string outputPath, TiledUpscaler upscaler, AlphaUpscale alphaMode, double outScale)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        int h = input.Height, w = input.Width;
        var rgb = upscaler.Upscale(input.ReadTile(0, 0, h, w)).clamp_(Scalars.Zero, Scalars.One);
        CheckBand(rgb, 3, w * upscaler.Scale, outputPath);
        Tensor? alpha = null;
        if (layout.HasAlpha)
            alpha = alphaMode switch
            {
                AlphaUpscale.Generator => ToGrey(upscaler.Upscale(input.ReadTile(0, 0, h, w, alphaAsRgb: true)).clamp_(Scalars.Zero, Scalars.One)),
                AlphaUpscale.Bicubic => nn.functional.interpolate(input.ReadTile(0, 0, h, w, alphaOnly: true), size: new long[] { rgb.shape[2], rgb.shape[3] },
                    mode: InterpolationMode.Bicubic, align_corners: false),
                _ => throw new ArgumentOutOfRangeException(nameof(alphaMode), alphaMode, null),
            };
        var size = new long[] { (long)(h * outScale), (long)(w * outScale) };
        rgb = Resize(rgb, size);
        if (alpha is not null) alpha = Resize(alpha, size);
        Write(rgb, alpha, layout, outputPath);
    }

    static void CheckBand(Tensor rows, int channels, long width, string path)
    {
        if (rows.dim() != 4 || rows.shape[0] != 1 || rows.shape[1] != channels || rows.shape[3] != width)
            throw new InvalidOperationException(
                $"{path}: the upscaler gave output rows of shape [{string.Join(",", rows.shape)}], not (1,{channels},n,{width})");
    }

    static IImageFormat OutputFormat(string path) =>
        Configuration.Default.ImageFormatsManager.FindFormatByFileExtension(Path.GetExtension(path).TrimStart('.'))
        ?? throw new SrTrainException($"{path}: unknown image extension (use .png, .jpg, .bmp, .tga, .tiff, .webp or .gif)");

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
        var format = OutputFormat(path);
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
        using var canvas = new UpscaleCanvas(w, h, layout.Grey, hasAlpha, sixteen);
        canvas.SetColour(0, ToLevels(planes, max));
        if (hasAlpha)
        {
            var a = alpha!.dim() == 4 ? alpha[0] : alpha;
            if (a.shape[^2] != h || a.shape[^1] != w)
                throw new ArgumentException($"alpha shape [{string.Join(",", alpha.shape)}] does not match the {h}x{w} colour image");
            canvas.SetAlpha(0, ToLevels(a, max));
        }
        Save(canvas.Image, layout.Grey, format, path);
    }

    static void Save(Image image, bool grey, IImageFormat format, string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        if (format == PngFormat.Instance)
        {
            // The canvas's pixel type is the file's colour type and bit depth (grey, alpha, 16 bits).
            PngStreamWriter.Save(image, path);
        }
        else if (format == JpegFormat.Instance)
        {
            image.Save(path, new JpegEncoder
            {
                Quality = JpegQuality,
                ColorType = grey ? JpegColorType.Luminance : JpegColorType.YCbCrRatio420,
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

    /// <summary>Bicubic resize of the model's output to the <c>--outscale</c> size; antialiased when it shrinks, so an x4
    /// model's output brought to x2 does not alias. <see cref="Write"/> clamps the overshoot.</summary>
    static Tensor Resize(Tensor t, long[] size)
    {
        if (size[0] < 1 || size[1] < 1) throw new SrTrainException($"--outscale: the output would be {size[1]}x{size[0]} pixels");
        bool shrinks = size[0] < t.shape[2] || size[1] < t.shape[3];
        return nn.functional.interpolate(t, size: size, mode: InterpolationMode.Bicubic, align_corners: false, antialias: shrinks);
    }
}

/// <summary>What must survive an upscale round trip: grey stays grey, alpha stays, 16 bits stay 16 bits.</summary>
/// <param name="Grey">The file holds one luminance channel (PNG grey colour types, JPEG luminance).</param>
/// <param name="HasAlpha">The file holds transparency (an alpha channel, or a PNG tRNS entry).</param>
/// <param name="SixteenBit">The file holds 16 bits per channel (PNG bit depth 16).</param>
internal sealed record ImageLayout(bool Grey, bool HasAlpha, bool SixteenBit);
