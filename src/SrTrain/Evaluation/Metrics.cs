using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Evaluation;

/// <summary>PSNR and SSIM computed exactly as BasicSR's <c>calculate_psnr</c> / <c>calculate_ssim</c>
/// (basicsr/metrics/psnr_ssim.py), so numbers are comparable with papers and BasicSR logs.
/// Inputs are (3,H,W) or (1,3,H,W) tensors in [0,1] (a single channel also works and is used as is, as BasicSR
/// does with grey images). All arithmetic is float64 on [0,255] values, except the Y conversion, which reproduces
/// BasicSR's float32 steps.</summary>
internal static class Metrics
{
    /// <summary>PSNR (dB) on the BT.601 Y channel with <paramref name="cropBorder"/> pixels dropped on every side
    /// (BasicSR <c>test_y_channel: true</c>). With <paramref name="quantize"/> (the default) both images are first
    /// rounded to 8-bit levels, as BasicSR's validation does with <c>tensor2img</c> before measuring.
    /// Identical images give +∞.</summary>
    public static double PsnrY(Tensor img, Tensor gt, int cropBorder, bool quantize = true) =>
        Psnr(Prepare(img, gt, cropBorder, quantize, yChannel: true));

    /// <summary>PSNR (dB) over all colour channels (BasicSR <c>test_y_channel: false</c>).</summary>
    public static double PsnrRgb(Tensor img, Tensor gt, int cropBorder, bool quantize = true) =>
        Psnr(Prepare(img, gt, cropBorder, quantize, yChannel: false));

    /// <summary>SSIM on the BT.601 Y channel (11x11 Gaussian window, sigma 1.5, 'valid' filtering).</summary>
    public static double SsimY(Tensor img, Tensor gt, int cropBorder, bool quantize = true) =>
        Ssim(Prepare(img, gt, cropBorder, quantize, yChannel: true));

    /// <summary>SSIM per colour channel, averaged over the channels.</summary>
    public static double SsimRgb(Tensor img, Tensor gt, int cropBorder, bool quantize = true) =>
        Ssim(Prepare(img, gt, cropBorder, quantize, yChannel: false));

    /// <summary>Two images as float64 planes on the [0,255] scale, already cropped and, if asked, reduced to Y.</summary>
    internal sealed record PlanePair(double[][] A, double[][] B, int Height, int Width);

    internal static PlanePair Prepare(Tensor img, Tensor gt, int cropBorder, bool quantize, bool yChannel)
    {
        if (cropBorder < 0) throw new ArgumentOutOfRangeException(nameof(cropBorder), cropBorder, "must be >= 0");
        var a = ToPlanes(img, quantize, out int h, out int w);
        var b = ToPlanes(gt, quantize, out int h2, out int w2);
        if (a.Length != b.Length || h != h2 || w != w2)
            throw new ArgumentException($"image shapes differ: ({a.Length},{h},{w}) vs ({b.Length},{h2},{w2})");
        if (2 * cropBorder >= h || 2 * cropBorder >= w)
            throw new ArgumentException($"crop border {cropBorder} leaves nothing of a {h}x{w} image");
        a = Crop(a, h, w, cropBorder);
        b = Crop(b, h, w, cropBorder);
        h -= 2 * cropBorder;
        w -= 2 * cropBorder;
        if (yChannel && a.Length == 3)
        {
            a = new[] { ToY(a) };
            b = new[] { ToY(b) };
        }
        return new PlanePair(a, b, h, w);
    }

    internal static double Psnr(PlanePair p)
    {
        double sum = 0;
        long n = 0;
        for (int c = 0; c < p.A.Length; c++)
        {
            var x = p.A[c];
            var y = p.B[c];
            for (int i = 0; i < x.Length; i++)
            {
                double d = x[i] - y[i];
                sum += d * d;
            }
            n += x.Length;
        }
        double mse = sum / n;
        if (mse == 0) return double.PositiveInfinity;
        return 10.0 * Math.Log10(255.0 * 255.0 / mse);
    }

    internal static double Ssim(PlanePair p)
    {
        if (p.Height < Window || p.Width < Window)
            throw new ArgumentException($"SSIM needs at least {Window}x{Window} pixels after cropping, got {p.Height}x{p.Width}");
        double total = 0;
        for (int c = 0; c < p.A.Length; c++)
            total += SsimPlane(p.A[c], p.B[c], p.Height, p.Width);
        return total / p.A.Length;
    }

    internal const int Window = 11;
    const int Radius = Window / 2;

    /// <summary>cv2.getGaussianKernel(11, 1.5): exp(-x²/(2σ²)) for x = -5..5, normalised to sum 1.</summary>
    static readonly double[] Gaussian = MakeGaussian(Window, 1.5);

    static double[] MakeGaussian(int n, double sigma)
    {
        var k = new double[n];
        double scale2 = -0.5 / (sigma * sigma), sum = 0;
        for (int i = 0; i < n; i++)
        {
            double x = i - (n - 1) * 0.5;
            k[i] = Math.Exp(scale2 * x * x);
            sum += k[i];
        }
        for (int i = 0; i < n; i++) k[i] /= sum;
        return k;
    }

    /// <summary>BasicSR's <c>_ssim</c> on one plane. cv2.filter2D followed by [5:-5, 5:-5] is a 'valid'
    /// correlation with the 11x11 window, which is separable (outer product of the 1-D kernel); the separable form
    /// differs from OpenCV's (DFT-based for this kernel size) only by float64 rounding.</summary>
    static double SsimPlane(double[] x, double[] y, int h, int w)
    {
        double sum = 0;
        AddSsim(x, y, h, w, ref sum);
        return sum / ((h - 2 * Radius) * (w - 2 * Radius));
    }

    /// <summary>Adds the SSIM map of one plane (its 'valid' part, (h−10)×(w−10) values) to <paramref name="sum"/> in
    /// row-major order, so that bands of rows overlapping by <see cref="Window"/> − 1 rows add up to the whole plane's
    /// sum exactly (<see cref="BandMetrics"/>).</summary>
    internal static void AddSsim(double[] x, double[] y, int h, int w, ref double sum)
    {
        const double c1 = (0.01 * 255) * (0.01 * 255);
        const double c2 = (0.03 * 255) * (0.03 * 255);
        int n = h * w;
        var xx = new double[n];
        var yy = new double[n];
        var xy = new double[n];
        for (int i = 0; i < n; i++)
        {
            xx[i] = x[i] * x[i];
            yy[i] = y[i] * y[i];
            xy[i] = x[i] * y[i];
        }
        var mu1 = FilterValid(x, h, w);
        var mu2 = FilterValid(y, h, w);
        var fxx = FilterValid(xx, h, w);
        var fyy = FilterValid(yy, h, w);
        var fxy = FilterValid(xy, h, w);
        for (int i = 0; i < mu1.Length; i++)
        {
            double m1 = mu1[i], m2 = mu2[i];
            double m1Sq = m1 * m1, m2Sq = m2 * m2, m12 = m1 * m2;
            double s1 = fxx[i] - m1Sq, s2 = fyy[i] - m2Sq, s12 = fxy[i] - m12;
            sum += ((2 * m12 + c1) * (2 * s12 + c2)) / ((m1Sq + m2Sq + c1) * (s1 + s2 + c2));
        }
    }

    static double[] FilterValid(double[] src, int h, int w)
    {
        int ow = w - 2 * Radius, oh = h - 2 * Radius;
        var rows = new double[h * ow];
        for (int r = 0; r < h; r++)
        {
            int baseIn = r * w, baseOut = r * ow;
            for (int c = 0; c < ow; c++)
            {
                double s = 0;
                for (int k = 0; k < Window; k++) s += Gaussian[k] * src[baseIn + c + k];
                rows[baseOut + c] = s;
            }
        }
        var dst = new double[oh * ow];
        for (int r = 0; r < oh; r++)
            for (int c = 0; c < ow; c++)
            {
                double s = 0;
                for (int k = 0; k < Window; k++) s += Gaussian[k] * rows[(r + k) * ow + c];
                dst[r * ow + c] = s;
            }
        return dst;
    }

    /// <summary>BasicSR's <c>to_y_channel</c> step by step, including its float32 stages:
    /// <c>img.astype(float32) / 255.</c> (float32 values in [0,1]), <c>bgr2ycbcr(y_only=True)</c> (a float32 input
    /// stays in [0,1]; dot product with (24.966, 128.553, 65.481) for B, G, R in float64, + 16, ÷ 255, back to
    /// float32), then <c>× 255.</c> in float32. The result is deliberately not rounded, as in BasicSR.</summary>
    internal static double[] ToY(double[][] rgb)
    {
        var (r, g, b) = (rgb[0], rgb[1], rgb[2]);
        var y = new double[r.Length];
        for (int i = 0; i < y.Length; i++)
        {
            double bb = (float)b[i] / 255f;
            double gg = (float)g[i] / 255f;
            double rr = (float)r[i] / 255f;
            // BasicSR's images are BGR, so its dot product adds B, G, R in that order.
            double dot = bb * 24.966 + gg * 128.553 + rr * 65.481 + 16.0;
            float yf = (float)(dot / 255.0);
            y[i] = yf * 255f;
        }
        return y;
    }

    static double[][] Crop(double[][] planes, int h, int w, int border)
    {
        if (border == 0) return planes;
        int oh = h - 2 * border, ow = w - 2 * border;
        var result = new double[planes.Length][];
        for (int c = 0; c < planes.Length; c++)
        {
            var o = new double[oh * ow];
            for (int r = 0; r < oh; r++)
                Array.Copy(planes[c], (r + border) * w + border, o, r * ow, ow);
            result[c] = o;
        }
        return result;
    }

    /// <summary>(C,H,W) or (1,C,H,W) in [0,1] → C planes on [0,255]. Quantizing follows BasicSR's tensor2img:
    /// clamp to [0,1], ×255 and round half to even in float32.</summary>
    internal static double[][] ToPlanes(Tensor t, bool quantize, out int h, out int w)
    {
        using var scope = torch.NewDisposeScope();
        var chw = t.dim() == 4 && t.shape[0] == 1 ? t[0] : t;
        if (chw.dim() != 3 || (chw.shape[0] != 1 && chw.shape[0] != 3))
            throw new ArgumentException($"expected a (3,H,W), (1,3,H,W) or single-channel image tensor, got shape [{string.Join(",", t.shape)}]");
        var x = chw.detach().to(torch.CPU);
        x = quantize
            ? x.to(ScalarType.Float32).clamp(Scalars.Zero, Scalars.One).mul(Scalars.Byte).round().to(ScalarType.Float64)
            : x.to(ScalarType.Float64).mul(Scalars.Byte);
        int c = (int)x.shape[0];
        h = (int)x.shape[1];
        w = (int)x.shape[2];
        var all = x.contiguous().data<double>().ToArray();
        var planes = new double[c][];
        int plane = h * w;
        for (int i = 0; i < c; i++)
        {
            planes[i] = new double[plane];
            Array.Copy(all, i * plane, planes[i], 0, plane);
        }
        return planes;
    }
}
