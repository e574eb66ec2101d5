using SrTrain.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Data;

/// <summary>Reads and writes images as float32 CHW tensors in [0,1], the form every network here takes.</summary>
public static class ImageFile
{
    /// <summary>Reads any image ImageSharp decodes into a (3,H,W) float32 tensor in [0,1]. Grey becomes three equal
    /// channels; alpha is dropped. Decoding goes through 16 bits per channel so 16-bit files keep their precision
    /// (an 8-bit value v arrives as v·257/65535 = v/255 exactly).</summary>
    public static Tensor ReadRgb(string path)
    {
        using var image = LoadRgba64(path);
        return ToTensor(image);
    }

    internal static Image<Rgba64> LoadRgba64(string path)
    {
        try
        {
            return Image.Load<Rgba64>(path);
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or ImageFormatException or NotSupportedException)
        {
            throw new SrTrainException($"{path}: not a readable image ({e.Message.Split('\n')[0]})");
        }
        catch (FileNotFoundException)
        {
            throw new SrTrainException($"{path}: file not found");
        }
    }

    /// <summary>Reads an image into planar float data (what the data pipeline works on), like <see cref="ReadRgb"/>.</summary>
    public static RgbImage ReadRgbImage(string path)
    {
        using var image = LoadRgba64(path);
        return ToRgbImage(image);
    }

    /// <summary>Width and height from the file header only, without decoding pixels; null when the file is not an
    /// image ImageSharp recognises. Throws for unreadable files (I/O) and malformed headers.</summary>
    public static (int Width, int Height)? Identify(string path)
    {
        var info = Image.Identify(path);
        return info == null ? null : (info.Width, info.Height);
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
