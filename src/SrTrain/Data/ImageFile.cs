using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SrTrain.Config;
using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Data;

/// <summary>Reads and writes images as float32 CHW tensors in [0,1], the form every network here takes.</summary>
internal static class ImageFile
{
    /// <summary>Reads any image ImageSharp decodes into a (3,H,W) float32 tensor in [0,1]. Grey becomes three equal
    /// channels; alpha is dropped. Decoding goes through 16 bits per channel so 16-bit files keep their precision
    /// (an 8-bit value v arrives as v·257/65535 = v/255 exactly).</summary>
    public static Tensor ReadRgb(string path)
    {
        using var image = LoadRgba64(path);
        return ToTensor(image);
    }

    /// <summary>Decodes an image after checking, from its header, that it has at most <paramref name="maxPixels"/>
    /// pixels (default <see cref="InputLimits.MaxImagePixels"/>) and, for PNG and JPEG, that it is not cut off. The
    /// EXIF orientation is applied (as cv2.imread does for BasicSR and Real-ESRGAN); only the first frame of an
    /// animated GIF is decoded.</summary>
    internal static Image<Rgba64> LoadRgba64(string path, long? maxPixels = null) =>
        Decode(path, maxPixels, (file, _, _) => Image.Load<Rgba64>(FirstFrameOnly, file));

    /// <summary>Decodes an image at its file's bit depth, as <see cref="LoadRgba64"/> checks and orients it: 8 bits per
    /// channel (<see cref="Rgb24"/>, or <see cref="Rgba32"/> with <paramref name="alpha"/>) unless the file holds 16
    /// (a 16-bit PNG, or a format whose pixels take 48 bits or more), then <see cref="Rgb48"/> or <see cref="Rgba64"/>.
    /// A large photo costs 3 bytes a pixel this way instead of the 8 of Rgba64 or the 12 of float RGB.</summary>
    internal static Image LoadCompact(string path, bool alpha, long? maxPixels = null) =>
        Decode(path, maxPixels, (file, info, format) => (IsSixteenBit(info, format), alpha) switch
        {
            (false, false) => (Image)Image.Load<Rgb24>(FirstFrameOnly, file),
            (false, true) => Image.Load<Rgba32>(FirstFrameOnly, file),
            (true, false) => Image.Load<Rgb48>(FirstFrameOnly, file),
            (true, true) => Image.Load<Rgba64>(FirstFrameOnly, file),
        });

    static bool IsSixteenBit(IImageInfo info, IImageFormat format) =>
        format == PngFormat.Instance
            ? info.Metadata.GetPngMetadata().BitDepth == PngBitDepth.Bit16
            : info.PixelType?.BitsPerPixel >= 48;

    /// <summary>The checks and orientation shared by every decode: size limit from the header, end marker, EXIF
    /// orientation applied after <paramref name="load"/> decodes the (rewound) stream.</summary>
    static TImage Decode<TImage>(string path, long? maxPixels, Func<Stream, IImageInfo, IImageFormat, TImage> load) where TImage : Image
    {
        try
        {
            // One open for the header, the end-marker check and the decode: the data pipeline reads every sample this way.
            using var file = RegularFile.OpenRead(path);
            file.Position = 0;
            var info = Image.Identify(FirstFrameOnly, file, out var format);
            if (info == null || format == null) throw new SrTrainException($"{path}: not a readable image (unknown format)");
            var size = DisplaySize(info);
            long limit = maxPixels ?? InputLimits.MaxImagePixels;
            if ((long)size.Width * size.Height > limit)
                throw new SrTrainException($"{path}: {size.Width}x{size.Height} is above the limit of {limit} pixels per image " +
                                           $"(raise it with the environment variable {InputLimits.MaxImagePixelsVariable})");
            if (TruncationReason(file, path) is string truncated) throw new SrTrainException($"{path}: {truncated}");
            file.Position = 0;
            var image = load(file, info, format);
            image.Mutate(x => x.AutoOrient());
            return image;
        }
        catch (FileNotFoundException)
        {
            throw new SrTrainException($"{path}: file not found");
        }
        catch (Exception e) when (e is not (SrTrainException or OutOfMemoryException or IOException or UnauthorizedAccessException))
        {
            // Decoders meet malformed data with whatever exception their code path raises (index, argument, overflow
            // errors as well as ImageSharp's own); all of them mean the same to the user.
            throw new SrTrainException($"{path}: not a readable image ({SrTrainException.FirstLine(e)})");
        }
    }

    /// <summary>Decoders that stop after the first frame: an animated GIF's or a multi-page TIFF's other frames would
    /// cost memory for pixels that are dropped anyway.</summary>
    static readonly Configuration FirstFrameOnly = CreateFirstFrameConfiguration();

    static Configuration CreateFirstFrameConfiguration()
    {
        var c = Configuration.Default.Clone();
        c.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = SixLabors.ImageSharp.Metadata.FrameDecodingMode.First });
        c.ImageFormatsManager.SetDecoder(SixLabors.ImageSharp.Formats.Tiff.TiffFormat.Instance,
            new SixLabors.ImageSharp.Formats.Tiff.TiffDecoder { DecodingMode = SixLabors.ImageSharp.Metadata.FrameDecodingMode.First });
        return c;
    }

    /// <summary>Reads an image into planar float data (what the data pipeline works on), like <see cref="ReadRgb"/>.</summary>
    public static RgbImage ReadRgbImage(string path, long? maxPixels = null)
    {
        using var image = LoadRgba64(path, maxPixels);
        return ToRgbImage(image);
    }

    /// <summary>Width and height as displayed (EXIF orientation applied) from the file header only, without decoding
    /// pixels; null when the file is not an image ImageSharp recognises. Throws for unreadable files (I/O) and
    /// malformed headers.</summary>
    public static (int Width, int Height)? Identify(string path)
    {
        using var file = RegularFile.OpenRead(path);
        return Identify(file);
    }

    static (int Width, int Height)? Identify(Stream file)
    {
        file.Position = 0;
        var info = Image.Identify(file);
        return info == null ? null : DisplaySize(info);
    }

    static (int Width, int Height) DisplaySize(IImageInfo info)
    {
        // Orientations 5 to 8 turn the image by 90 degrees.
        var orientation = info.Metadata.ExifProfile?.GetValue(ExifTag.Orientation)?.Value ?? 1;
        return orientation is >= 5 and <= 8 ? (info.Height, info.Width) : (info.Width, info.Height);
    }

    /// <summary>ImageSharp decodes a cut-off PNG or JPEG without complaint (the missing rows come out blank), so a
    /// truncated file would train on, or upscale, garbage. Their end markers are checked instead: PNG must end with
    /// its IEND chunk, JPEG must have its EOI marker near the end (some writers append a few bytes after it).</summary>
    public static string? TruncationReason(string path)
    {
        if (!HasEndMarker(path)) return null;
        using var file = RegularFile.OpenRead(path);
        return TruncationReason(file, path);
    }

    static bool HasEndMarker(string path) => Path.GetExtension(path).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg";

    /// <param name="path">The file's name, whose extension says which end marker to look for.</param>
    static string? TruncationReason(Stream f, string path)
    {
        if (!HasEndMarker(path)) return null;
        var ext = Path.GetExtension(path).ToLowerInvariant();
        int n = (int)Math.Min(f.Length, ext == ".png" ? 12 : 4096);
        var tail = new byte[n];
        f.Seek(-n, SeekOrigin.End);
        f.ReadExactly(tail);
        if (ext == ".png")
        {
            ReadOnlySpan<byte> iend = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82];
            return tail.AsSpan().SequenceEqual(iend) ? null : "truncated (the PNG does not end with its IEND chunk)";
        }
        for (int i = n - 2; i >= 0; i--)
            if (tail[i] == 0xFF && tail[i + 1] == 0xD9) return null;
        return "truncated (no JPEG end-of-image marker)";
    }

    /// <summary>True when a GIF holds more than one frame (an animation, of which only the first frame is used). Walks
    /// the GIF's blocks without decoding anything.</summary>
    public static bool HasExtraFrames(string path)
    {
        if (!Path.GetExtension(path).Equals(".gif", StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            var b = SharedRead.ReadAllBytes(path);
            if (b.Length < 13 || b[0] != 'G' || b[1] != 'I' || b[2] != 'F') return false;
            int pos = 13;
            if ((b[10] & 0x80) != 0) pos += 3 << ((b[10] & 7) + 1);
            int frames = 0;
            while (pos < b.Length)
            {
                byte block = b[pos++];
                if (block == 0x3B) break;
                if (block == 0x21) { pos++; pos = SkipSubBlocks(b, pos); continue; }
                if (block != 0x2C || pos + 9 > b.Length) break;
                if (++frames > 1) return true;
                byte flags = b[pos + 8];
                pos += 9;
                if ((flags & 0x80) != 0) pos += 3 << ((flags & 7) + 1);
                pos = SkipSubBlocks(b, pos + 1);
            }
            return false;
        }
        catch (IOException) { return false; }
    }

    static int SkipSubBlocks(byte[] b, int pos)
    {
        while (pos < b.Length && b[pos] != 0) pos += b[pos] + 1;
        return pos + 1;
    }

    internal static RgbImage ToRgbImage(Image<Rgba64> image)
    {
        var rgb = new RgbImage(image.Height, image.Width);
        Fill(image, rgb.Data);
        return rgb;
    }

    internal static Tensor ToTensor(Image<Rgba64> image)
    {
        var data = new float[3 * image.Height * image.Width];
        Fill(image, data);
        return torch.tensor(data, new long[] { 3, image.Height, image.Width }, device: torch.CPU);
    }

    /// <summary>Copies the pixels into planar float arrays in [0,1]: R, G, B planes one after the other in
    /// <paramref name="data"/>, and alpha into <paramref name="alpha"/> when given.</summary>
    internal static void Fill(Image<Rgba64> image, float[] data, float[]? alpha = null)
    {
        int h = image.Height, w = image.Width;
        int plane = h * w;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < w; x++)
                {
                    var p = row[x];
                    int i = y * w + x;
                    data[i] = p.R / 65535f;
                    data[plane + i] = p.G / 65535f;
                    data[2 * plane + i] = p.B / 65535f;
                    if (alpha != null) alpha[i] = p.A / 65535f;
                }
            }
        });
    }

    /// <summary>Writes a (3,H,W) or (1,3,H,W) tensor in [0,1] as an 8-bit RGB image; the format follows the file's
    /// extension. Values are clamped and rounded to the nearest integer, as BasicSR's tensor2img does.</summary>
    public static void WriteRgb(Tensor chw, string path)
    {
        using var scope = torch.NewDisposeScope();
        var t = chw.dim() == 4 ? chw[0] : chw;
        var bytes = t.detach().to(torch.CPU).clamp(Scalars.Zero, Scalars.One).mul(Scalars.Byte).round().to(ScalarType.Byte).permute(1, 2, 0).contiguous();
        int h = (int)bytes.shape[0], w = (int)bytes.shape[1];
        var raw = bytes.data<byte>().ToArray();
        using var image = Image.LoadPixelData<Rgb24>(raw, w, h);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        image.Save(path);
    }
}
