using static TorchSharp.torch;

namespace SrTrain.Evaluation;

/// <summary>PSNR and SSIM (Y with the border cropped, and RGB) of an image fed a band of rows at a time, top to
/// bottom, so that neither image is ever whole in memory: the numbers of <see cref="Metrics"/> on the whole images.
/// SSIM's 11×11 window needs the 10 rows before each band, which are kept; PSNR needs only sums. RGB errors are integer
/// sums after quantizing, so exact in any order; the Y plane is summed in the whole image's row-major order.</summary>
internal sealed class BandMetrics
{
    readonly int _height, _width, _crop;
    readonly Plane _y;
    readonly Plane[] _rgb;
    int _rows;

    /// <param name="cropBorder">Pixels dropped on every side for the Y metrics (BasicSR's crop_border).</param>
    public BandMetrics(int height, int width, int cropBorder)
    {
        if (cropBorder < 0) throw new ArgumentOutOfRangeException(nameof(cropBorder), cropBorder, "must be >= 0");
        if (2 * cropBorder >= height || 2 * cropBorder >= width)
            throw new ArgumentException($"crop border {cropBorder} leaves nothing of a {height}x{width} image");
        if (height - 2 * cropBorder < Metrics.Window || width - 2 * cropBorder < Metrics.Window)
            throw new ArgumentException($"SSIM needs at least {Metrics.Window}x{Metrics.Window} pixels after cropping, got " +
                                        $"{height - 2 * cropBorder}x{width - 2 * cropBorder}");
        _height = height;
        _width = width;
        _crop = cropBorder;
        _y = new Plane(width - 2 * cropBorder);
        _rgb = [new Plane(width), new Plane(width), new Plane(width)];
    }

    /// <summary>The next rows of both images: (1,3,n,W) or (3,n,W) in [0,1] (quantized to 8 bits here, as BasicSR's
    /// tensor2img).</summary>
    public void Add(Tensor output, Tensor hq)
    {
        var a = Metrics.ToPlanes(output, true, out int n, out int w);
        var b = Metrics.ToPlanes(hq, true, out int n2, out int w2);
        if (a.Length != 3 || b.Length != 3 || n != n2 || w != _width || w2 != _width || _rows + n > _height)
            throw new ArgumentException($"rows ({a.Length},{n},{w}) and ({b.Length},{n2},{w2}) do not continue a 3x{_height}x{_width} image at row {_rows}");
        for (int c = 0; c < 3; c++) _rgb[c].Add(a[c], b[c], n);
        int first = Math.Max(_rows, _crop) - _rows, last = Math.Min(_rows + n, _height - _crop) - _rows;
        if (last > first)
        {
            int rows = last - first;
            _y.Add(Metrics.ToY(Crop(a, first, rows)), Metrics.ToY(Crop(b, first, rows)), rows);
        }
        _rows += n;
    }

    double[][] Crop(double[][] planes, int firstRow, int rows)
    {
        int cw = _width - 2 * _crop;
        var result = new double[planes.Length][];
        for (int c = 0; c < planes.Length; c++)
        {
            result[c] = new double[rows * cw];
            for (int r = 0; r < rows; r++) Array.Copy(planes[c], (firstRow + r) * _width + _crop, result[c], r * cw, cw);
        }
        return result;
    }

    /// <summary>psnr_y, ssim_y, psnr_rgb, ssim_rgb, once every row has been added.</summary>
    public Dictionary<string, double> Result()
    {
        if (_rows != _height) throw new InvalidOperationException($"{_rows} of {_height} rows added");
        return new Dictionary<string, double>
        {
            ["psnr_y"] = Psnr(_y.SquaredError, _y.Count),
            ["ssim_y"] = _y.SsimSum / _y.SsimCount,
            ["psnr_rgb"] = Psnr(_rgb.Sum(p => p.SquaredError), _rgb.Sum(p => p.Count)),
            ["ssim_rgb"] = _rgb.Sum(p => p.SsimSum / p.SsimCount) / 3,
        };
    }

    static double Psnr(double squaredError, long count)
    {
        double mse = squaredError / count;
        return mse == 0 ? double.PositiveInfinity : 10.0 * Math.Log10(255.0 * 255.0 / mse);
    }

    /// <summary>One plane's running sums and the last Window − 1 rows of both images.</summary>
    sealed class Plane(int width)
    {
        double[] _a = [], _b = [];
        int _kept;
        public double SquaredError;
        public long Count;
        public double SsimSum;
        public long SsimCount;

        public void Add(double[] a, double[] b, int rows)
        {
            for (int i = 0; i < a.Length; i++)
            {
                double d = a[i] - b[i];
                SquaredError += d * d;
            }
            Count += a.Length;
            int total = _kept + rows;
            var ca = new double[total * width];
            var cb = new double[total * width];
            Array.Copy(_a, ca, _kept * width);
            Array.Copy(_b, cb, _kept * width);
            Array.Copy(a, 0, ca, _kept * width, rows * width);
            Array.Copy(b, 0, cb, _kept * width, rows * width);
            if (total >= Metrics.Window)
            {
                Metrics.AddSsim(ca, cb, total, width, ref SsimSum);
                SsimCount += (long)(total - Metrics.Window + 1) * (width - Metrics.Window + 1);
                _kept = Metrics.Window - 1;
                _a = ca[^(_kept * width)..];
                _b = cb[^(_kept * width)..];
            }
            else
            {
                _kept = total;
                _a = ca;
                _b = cb;
            }
        }
    }
}
