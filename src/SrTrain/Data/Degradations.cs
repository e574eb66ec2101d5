using SrTrain.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace SrTrain.Data;

/// <summary>LQ degradations beyond the bicubic downscale. Each draws its randomness from the sample's own stream, so
/// the result is a pure function of (seed, step, sample).</summary>
internal static class Degradations
{
    /// <summary>Applies the configured steps in Real-ESRGAN's order (noise, then JPEG). The random draws happen
    /// whether or not a step fires, so turning one on does not shift the other's randomness.</summary>
    public static void Apply(RgbImage lq, DegradationOptions o, SampleRandom rng)
    {
        bool noise = rng.NextDouble() < o.NoiseProbability;
        double sigma = rng.NextUniform(o.NoiseSigmaMin, o.NoiseSigmaMax);
        bool jpeg = rng.NextDouble() < o.JpegProbability;
        int quality = o.JpegQualityMin + rng.NextInt(o.JpegQualityMax - o.JpegQualityMin + 1);
        if (noise) AddGaussianNoise(lq, sigma / 255.0, rng);
        if (jpeg) JpegRecompress(lq, quality);
    }

    /// <summary>Adds per-pixel, per-channel Gaussian noise of std <paramref name="sigma"/>, then clamps and rounds to
    /// 8 bits as Real-ESRGAN does after each degradation.</summary>
    public static void AddGaussianNoise(RgbImage image, double sigma, SampleRandom rng)
    {
        var d = image.Data;
        for (int i = 0; i < d.Length; i++) d[i] += (float)(sigma * rng.NextGaussian());
        image.QuantizeTo8Bit();
    }

    /// <summary>Encodes as JPEG of the given quality in memory and decodes it back.</summary>
    public static void JpegRecompress(RgbImage image, int quality)
    {
        int h = image.Height, w = image.Width, plane = h * w;
        var d = image.Data;
        var pixels = new Rgb24[plane];
        for (int i = 0; i < plane; i++)
            pixels[i] = new Rgb24(ToByte(d[i]), ToByte(d[plane + i]), ToByte(d[2 * plane + i]));
        using var ms = new MemoryStream();
        using (var img = Image.LoadPixelData<Rgb24>(pixels, w, h))
            img.SaveAsJpeg(ms, new JpegEncoder { Quality = quality });
        ms.Position = 0;
        using var back = Image.Load<Rgb24>(ms);
        back.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < w; x++)
                {
                    int i = y * w + x;
                    d[i] = row[x].R / 255f;
                    d[plane + i] = row[x].G / 255f;
                    d[2 * plane + i] = row[x].B / 255f;
                }
            }
        });
    }

    static byte ToByte(float v) => (byte)Math.Clamp((int)MathF.Round(v * 255f, MidpointRounding.ToEven), 0, 255);
}
