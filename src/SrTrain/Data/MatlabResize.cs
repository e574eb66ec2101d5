using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Data;

/// <summary>MATLAB's <c>imresize</c> with the bicubic kernel and antialiasing, as BasicSR's
/// <c>basicsr/utils/matlab_functions.py imresize</c> computes it: cubic kernel a = −0.5, kernel width 4 widened by
/// 1/scale when downscaling, weights from <c>calculate_weights_indices</c> with symmetric (edge-repeating) padding at
/// the borders, rows first then columns. SR papers make their LR images with this resize, so training LQ made here
/// matches the LQ of the published data sets. Resizing is linear and separable, so each dimension becomes a weight
/// matrix (out × in, padding folded in) and the resize is two matrix products.</summary>
internal static class MatlabResize
{
    static readonly ConcurrentDictionary<(int In, int Out, double Scale), ResizeWeights> Cache = new();

    /// <summary>Output length for an input length: ceil(length · scale), as BasicSR (a tiny tolerance keeps e.g.
    /// 300 · (1/3) from rounding up to 101).</summary>
    public static int OutputLength(int inLength, double scale) => (int)Math.Ceiling(inLength * scale - 1e-9);

    /// <summary>Resizes a (C,H,W) or (N,C,H,W) tensor by <paramref name="scale"/> (0.25 = downscale by 4, 4 = upscale
    /// by 4). No clamping or rounding: do that where an 8-bit image is wanted. float64 input is computed in float64,
    /// anything else in float32; the result has the input's device.</summary>
    public static Tensor Resize(Tensor chwOrNchw, double scale)
    {
        if (scale <= 0) throw new ArgumentOutOfRangeException(nameof(scale), "scale must be positive");
        int dims = (int)chwOrNchw.dim();
        if (dims != 3 && dims != 4) throw new ArgumentException($"expected (C,H,W) or (N,C,H,W), got ({string.Join(",", chwOrNchw.shape)})");
        int h = (int)chwOrNchw.shape[dims - 2], w = (int)chwOrNchw.shape[dims - 1];
        var dtype = chwOrNchw.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        using var scope = torch.NewDisposeScope();
        var x = chwOrNchw.to(dtype);
        var wh = Weights(h, OutputLength(h, scale), scale).ToTensor(dtype, x.device);
        var ww = Weights(w, OutputLength(w, scale), scale).ToTensor(dtype, x.device);
        var y = torch.matmul(torch.matmul(wh, x), ww.t());
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Resizes a whole image by <paramref name="scale"/> in managed code.</summary>
    public static RgbImage Resize(RgbImage image, double scale)
        => ResizeWindow(image, scale, 0, 0, OutputLength(image.Height, scale), OutputLength(image.Width, scale));

    /// <summary>The window (top, left, height, width) of the resize of the WHOLE image, computed from only the input
    /// pixels it depends on: exactly the crop of <c>Resize(image, scale)</c>, including the border padding, at the
    /// cost of the window alone. Training LQ patches come from here.</summary>
    public static RgbImage ResizeWindow(RgbImage image, double scale, int top, int left, int height, int width)
    {
        int h = image.Height, w = image.Width;
        var d = image.Data;
        return ResizeWindow(h, w, (y, x0, n, r, g, b) =>
        {
            d.AsSpan(y * w + x0, n).CopyTo(r);
            d.AsSpan((h + y) * w + x0, n).CopyTo(g);
            d.AsSpan((2 * h + y) * w + x0, n).CopyTo(b);
        }, scale, top, left, height, width);
    }

    /// <summary><see cref="ResizeWindow(RgbImage, double, int, int, int, int)"/> of an 8- or 16-bit image, reading
    /// only the rows and columns the window needs as float.</summary>
    internal static RgbImage ResizeWindow(PixelImage image, double scale, int top, int left, int height, int width) =>
        ResizeWindow(image.Height, image.Width, (y, x0, n, r, g, b) => image.ReadRow(y, x0, n, r, g, b, default),
            scale, top, left, height, width);

    /// <summary>Resizes a whole 8- or 16-bit image, a band of rows at a time so that only the band is ever float.</summary>
    internal static RgbImage Resize(PixelImage image, double scale)
    {
        int oh = OutputLength(image.Height, scale), ow = OutputLength(image.Width, scale);
        var result = new RgbImage(oh, ow);
        int plane = oh * ow;
        // Output rows per band: enough to amortise reading the kernel's support rows, few enough that the band's
        // float input (about band/scale rows of the whole width) stays small.
        int band = Math.Max(1, (int)Math.Min(oh, 64));
        for (int top = 0; top < oh; top += band)
        {
            int n = Math.Min(band, oh - top);
            var part = ResizeWindow(image, scale, top, 0, n, ow);
            for (int c = 0; c < 3; c++)
                Array.Copy(part.Data, c * n * ow, result.Data, c * plane + top * ow, n * ow);
        }
        return result;
    }

    delegate void RowReader(int y, int x0, int count, Span<float> r, Span<float> g, Span<float> b);

    static RgbImage ResizeWindow(int inH, int inW, RowReader read, double scale, int top, int left, int height, int width)
    {
        var wy = Weights(inH, OutputLength(inH, scale), scale);
        var wx = Weights(inW, OutputLength(inW, scale), scale);
        if (top < 0 || left < 0 || top + height > wy.OutLength || left + width > wx.OutLength)
            throw new ArgumentOutOfRangeException(nameof(top), $"window {height}x{width} at ({top},{left}) outside {wy.OutLength}x{wx.OutLength}");

        // Input columns and rows the window needs, read once as float: (3, r1 - r0, cw).
        int c0 = int.MaxValue, c1 = 0;
        for (int j = left; j < left + width; j++)
        {
            c0 = Math.Min(c0, wx.Start[j]);
            c1 = Math.Max(c1, wx.Start[j] + wx.Values[j].Length);
        }
        int r0 = int.MaxValue, r1 = 0;
        for (int i = top; i < top + height; i++)
        {
            r0 = Math.Min(r0, wy.Start[i]);
            r1 = Math.Max(r1, wy.Start[i] + wy.Values[i].Length);
        }
        int cw = c1 - c0, rh = r1 - r0, inPlane = rh * cw;
        var src = new float[3 * inPlane];
        for (int y = r0; y < r1; y++)
        {
            int o = (y - r0) * cw;
            read(y, c0, cw, src.AsSpan(o, cw), src.AsSpan(inPlane + o, cw), src.AsSpan(2 * inPlane + o, cw));
        }
        var rows = new float[3 * height * cw];  // after the H pass: (3, height, cw)
        var acc = new double[cw];
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < height; i++)
            {
                Array.Clear(acc);
                var wv = wy.Values[top + i];
                int s = wy.Start[top + i];
                for (int k = 0; k < wv.Length; k++)
                {
                    double f = wv[k];
                    int off = (c * rh + s + k - r0) * cw;
                    for (int x = 0; x < cw; x++) acc[x] += f * src[off + x];
                }
                int o = (c * height + i) * cw;
                for (int x = 0; x < cw; x++) rows[o + x] = (float)acc[x];
            }
        var result = new RgbImage(height, width);
        var dst = result.Data;
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < height; i++)
            {
                int ro = (c * height + i) * cw, o = (c * height + i) * width;
                for (int j = 0; j < width; j++)
                {
                    var wv = wx.Values[left + j];
                    int s = wx.Start[left + j] - c0;
                    double sum = 0;
                    for (int k = 0; k < wv.Length; k++) sum += wv[k] * rows[ro + s + k];
                    dst[o + j] = (float)sum;
                }
            }
        return result;
    }

    internal static ResizeWeights Weights(int inLength, int outLength, double scale)
        => Cache.GetOrAdd((inLength, outLength, scale), key => ResizeWeights.Compute(key.In, key.Out, key.Scale));

    /// <summary>Keys's cubic with a = −0.5 (MATLAB's bicubic).</summary>
    static double Cubic(double x)
    {
        double a = Math.Abs(x), a2 = a * a, a3 = a2 * a;
        if (a <= 1) return 1.5 * a3 - 2.5 * a2 + 1;
        if (a <= 2) return -0.5 * a3 + 2.5 * a2 - 4 * a + 2;
        return 0;
    }

    /// <summary>Per output index, the weights over a contiguous run of input indices (Start, Values), with
    /// BasicSR's symmetric border padding folded back onto the input.</summary>
    internal sealed class ResizeWeights
    {
        public required int InLength { get; init; }
        public required int OutLength { get; init; }
        public required int[] Start { get; init; }
        public required double[][] Values { get; init; }

        public static ResizeWeights Compute(int inLength, int outLength, double scale)
        {
            bool antialias = scale < 1;
            double kernelWidth = antialias ? 4 / scale : 4;
            int p = (int)Math.Ceiling(kernelWidth) + 2;
            var start = new int[outLength];
            var values = new double[outLength][];
            var raw = new double[p];
            for (int i = 0; i < outLength; i++)
            {
                // calculate_weights_indices, with 1-based x and indices as in MATLAB.
                double u = (i + 1) / scale + 0.5 * (1 - 1 / scale);
                double leftIdx = Math.Floor(u - kernelWidth / 2);
                double sum = 0;
                for (int k = 0; k < p; k++)
                {
                    double d = u - (leftIdx + k);
                    raw[k] = antialias ? scale * Cubic(d * scale) : Cubic(d);
                    sum += raw[k];
                }
                int lo = int.MaxValue, hi = int.MinValue;
                for (int k = 0; k < p; k++)
                {
                    if (raw[k] == 0) continue;
                    int m = Fold((int)leftIdx + k - 1, inLength);
                    lo = Math.Min(lo, m);
                    hi = Math.Max(hi, m);
                }
                var row = new double[hi - lo + 1];
                for (int k = 0; k < p; k++)
                {
                    if (raw[k] == 0) continue;
                    row[Fold((int)leftIdx + k - 1, inLength) - lo] += raw[k] / sum;
                }
                start[i] = lo;
                values[i] = row;
            }
            return new ResizeWeights { InLength = inLength, OutLength = outLength, Start = start, Values = values };
        }

        /// <summary>Symmetric padding (the edge pixel repeated: −1 → 0, n → n−1), as BasicSR's sym_patch_inv.</summary>
        static int Fold(int m, int n)
        {
            while (m < 0 || m >= n)
                m = m < 0 ? -m - 1 : 2 * n - 1 - m;
            return m;
        }

        public Tensor ToTensor(ScalarType dtype, Device device)
        {
            var dense = new double[OutLength * InLength];
            for (int i = 0; i < OutLength; i++)
                for (int k = 0; k < Values[i].Length; k++)
                    dense[i * InLength + Start[i] + k] = Values[i][k];
            return torch.tensor(dense, new long[] { OutLength, InLength }, device: torch.CPU).to(dtype, device);
        }
    }
}
