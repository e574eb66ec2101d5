using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Data;

/// <summary>A 3-channel float image in planar (C,H,W) order, values in [0,1]. The data pipeline works on these in
/// plain managed code on its worker threads; tensors are made only when a batch is handed over.</summary>
internal sealed class RgbImage
{
    public RgbImage(int height, int width) : this(height, width, new float[3 * height * width]) { }

    public RgbImage(int height, int width, float[] data)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"image size {width}x{height}");
        if (data.Length != 3 * height * width) throw new ArgumentException($"expected {3 * height * width} values, got {data.Length}", nameof(data));
        Height = height;
        Width = width;
        Data = data;
    }

    public int Height { get; }
    public int Width { get; }

    /// <summary>Planar data: channel c, row y, column x at c·H·W + y·W + x.</summary>
    public float[] Data { get; }

    public float this[int c, int y, int x]
    {
        get => Data[(c * Height + y) * Width + x];
        set => Data[(c * Height + y) * Width + x] = value;
    }

    /// <summary>A (3,H,W) float32 tensor holding a copy of the data.</summary>
    public Tensor ToTensor() => torch.tensor(Data, new long[] { 3, Height, Width }, device: torch.CPU);

    /// <summary>Copies a (3,H,W) or (1,3,H,W) tensor into an image.</summary>
    public static RgbImage FromTensor(Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        var chw = t.dim() == 4 ? t[0] : t;
        if (chw.dim() != 3 || chw.shape[0] != 3) throw new ArgumentException($"expected (3,H,W), got ({string.Join(",", t.shape)})", nameof(t));
        var data = chw.detach().to(torch.CPU).to(ScalarType.Float32).contiguous().data<float>().ToArray();
        return new RgbImage((int)chw.shape[1], (int)chw.shape[2], data);
    }

    public RgbImage Crop(int top, int left, int height, int width)
    {
        if (top < 0 || left < 0 || top + height > Height || left + width > Width)
            throw new ArgumentOutOfRangeException(nameof(top), $"crop {height}x{width} at ({top},{left}) outside {Height}x{Width}");
        var r = new RgbImage(height, width);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < height; y++)
                Array.Copy(Data, (c * Height + top + y) * Width + left, r.Data, (c * height + y) * width, width);
        return r;
    }

    /// <summary>Crops the bottom/right so both sides are multiples of <paramref name="multiple"/>; the top-left is kept,
    /// so HQ pixel (y, x) stays over LQ pixel (y/scale, x/scale).</summary>
    public RgbImage CropToMultiple(int multiple)
    {
        int h = Height / multiple * multiple, w = Width / multiple * multiple;
        return h == Height && w == Width ? this : Crop(0, 0, h, w);
    }

    /// <summary>Pads the bottom and right by reflection (the edge pixel not repeated, as numpy/cv2 reflect_101) up
    /// to at least the given size. Padding only at the bottom/right keeps the top-left LQ/HQ alignment.</summary>
    public RgbImage ReflectPadTo(int minHeight, int minWidth)
    {
        int h = Math.Max(Height, minHeight), w = Math.Max(Width, minWidth);
        if (h == Height && w == Width) return this;
        var r = new RgbImage(h, w);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
            {
                int sy = Reflect(y, Height);
                for (int x = 0; x < w; x++)
                    r.Data[(c * h + y) * w + x] = Data[(c * Height + sy) * Width + Reflect(x, Width)];
            }
        return r;
    }

    static int Reflect(int i, int n)
    {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        i %= period;
        if (i < 0) i += period;
        return i < n ? i : period - i;
    }

    /// <summary>BasicSR <c>augment</c> on a square image: horizontal flip, then vertical flip, then transpose (what
    /// BasicSR calls rot90; with the flips it reaches all eight orientations).</summary>
    public RgbImage Augment(bool hflip, bool vflip, bool transpose)
    {
        if (!hflip && !vflip && !transpose) return this;
        if (transpose && Height != Width) throw new InvalidOperationException("transpose augmentation needs a square patch");
        var r = new RgbImage(Height, Width);
        int h = Height, w = Width;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    // Output pixel (y, x) after transpose reads flipped (x, y); the flips act before the transpose.
                    int fy = transpose ? x : y, fx = transpose ? y : x;
                    int sy = vflip ? h - 1 - fy : fy, sx = hflip ? w - 1 - fx : fx;
                    r.Data[(c * h + y) * w + x] = Data[(c * h + sy) * w + sx];
                }
        return r;
    }

    /// <summary>Clamps to [0,1] and rounds to the 8-bit grid (v → round(255·v)/255), as an LQ image saved to PNG.</summary>
    public void QuantizeTo8Bit()
    {
        var d = Data;
        for (int i = 0; i < d.Length; i++)
            d[i] = MathF.Round(Math.Clamp(d[i], 0f, 1f) * 255f, MidpointRounding.ToEven) / 255f;
    }
}
