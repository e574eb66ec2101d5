using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SrTrain.Degradation;

/// <summary>BasicSR's DiffJPEG(differentiable=False) (basicsr/utils/diffjpeg.py): JPEG compression and decompression
/// in tensor operations, one quality per image, on the tensors' device.</summary>
/// <remarks>Step by step as BasicSR: pad to a multiple of 16 with zeros, ×255, RGB→YCbCr (tensordot + shift), 4:2:0
/// chroma by 2×2 average pooling, 8×8 blocks, DCT (tensordot with the 8×8×8×8 cosine tensor, then the α scale),
/// division by the standard tables × quality_to_factor(quality) and torch.round, the way back (dequantise, IDCT,
/// merge, nearest 2× chroma, YCbCr→RGB), clamp to 0..255, ÷255, crop. The constants are float32 as BasicSR stores
/// them (numpy float64 rounded once), kept per device.
/// <para>torch.round makes the result discontinuous: where a DCT quotient lies within float rounding of a half, the
/// summation order of the BLAS behind tensordot (MKL here, generic BLAS in Debian's PyTorch, cuBLAS on a GPU) decides
/// the coefficient. On two 400×400 photo crops at qualities 30.3 and 95, 0.14% of the outputs differed from BasicSR's
/// (PyTorch 1.13, CPU), by at most 1.2e-3 (0.3/255); BasicSR's own float32 quotients round differently from float64
/// ones at 57 of the 480,000 coefficients of the same images.</para></remarks>
internal sealed class DiffJpeg : IDisposable
{
    static readonly Scalar S128 = 128.0.ToScalar(), Quarter = 0.25.ToScalar(), S50 = 50.0.ToScalar(),
        S100 = 100.0.ToScalar(), S200 = 200.0.ToScalar(), S5000 = 5000.0.ToScalar();

    readonly Dictionary<string, Constants> _byDevice = new(StringComparer.Ordinal);
    bool _disposed;

    public DiffJpeg(Device device) => ConstantsOn(device);

    /// <summary>img (B,3,H,W) in [0,1], quality (B) in BasicSR's 0..100 range; returns (B,3,H,W).</summary>
    public Tensor Apply(Tensor img, Tensor quality)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (img.dim() != 4 || img.size(1) != 3) throw new ArgumentException($"DiffJpeg takes (B,3,H,W), not [{string.Join(",", img.shape)}]", nameof(img));
        long b = img.size(0), h = img.size(2), w = img.size(3);
        if (quality.numel() != b) throw new ArgumentException($"one quality per image: {quality.numel()} for {b} images", nameof(quality));
        var c = ConstantsOn(img.device);
        using var scope = NewDisposeScope();
        var factor = QualityToFactor(quality.to(ScalarType.Float32, img.device)).view(b, 1, 1, 1);
        var yTable = c.YTable.expand(b, 1, 8, 8).mul(factor);
        var cTable = c.CTable.expand(b, 1, 8, 8).mul(factor);

        long hPad = h % 16 != 0 ? 16 - h % 16 : 0, wPad = w % 16 != 0 ? 16 - w % 16 : 0;
        var x = F.pad(img.to(ScalarType.Float32), [0, wPad, 0, hPad], PaddingModes.Constant, 0);
        long ph = h + hPad, pw = w + wPad;

        // CompressJpeg: RGB2YCbCrJpeg + ChromaSubsampling on image * 255
        var ycc = TensorOps.Add(Contract(x.mul(Scalars.Byte).permute(0, 2, 3, 1), c.ToYcc, 1), c.ToYccShift);
        var planar = ycc.permute(0, 3, 1, 2);
        var y = ycc.select(3, 0);
        var cb = Subsample(planar, 1);
        var cr = Subsample(planar, 2);

        var yRec = Decode(Encode(y, yTable, c), yTable, c, ph, pw);
        var cbRec = Decode(Encode(cb, cTable, c), cTable, c, ph / 2, pw / 2);
        var crRec = Decode(Encode(cr, cTable, c), cTable, c, ph / 2, pw / 2);

        // ChromaUpsampling + YCbCr2RGBJpeg, clamp to 0..255, ÷255, crop the padding off
        var merged = cat([yRec.unsqueeze(3), Upsample2(cbRec).unsqueeze(3), Upsample2(crRec).unsqueeze(3)], 3);
        var rgb = Contract(TensorOps.Add(merged, c.ToRgbShift), c.ToRgb, 1).permute(0, 3, 1, 2);
        var result = rgb.clamp(Scalars.Zero, Scalars.Byte).div(Scalars.Byte)
            .narrow(2, 0, h).narrow(3, 0, w).contiguous();
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>quality_to_factor, as it runs on the elements of a float32 tensor in DiffJPEG.forward: 5000/q (which
    /// PyTorch's __rtruediv__ computes as reciprocal(q)·5000) below 50, else 200 − 2q; then ÷100.</summary>
    internal static Tensor QualityToFactor(Tensor quality)
    {
        using var scope = NewDisposeScope();
        var low = quality.reciprocal().mul(S5000);
        var high = full_like(quality, S200).sub(quality.mul(Scalars.Two));
        return where(quality.lt(S50), low, high).div(S100).MoveToOuterDisposeScope();
    }

    // F.avg_pool2d(image_2[:, ch].unsqueeze(1), kernel_size=2, stride=2, count_include_pad=False) → (B, H/2, W/2)
    static Tensor Subsample(Tensor planar, long channel) =>
        F.avg_pool2d(planar.select(1, channel).unsqueeze(1), [2, 2], [2, 2], count_include_pad: false).squeeze(1);

    // BlockSplitting, DCT8x8, Y/CQuantize with torch.round: (B,H,W) → (B, H·W/64, 8, 8) quantised coefficients
    static Tensor Encode(Tensor plane, Tensor table, Constants c)
    {
        long b = plane.size(0), h = plane.size(1);
        var blocks = plane.reshape(b, h / 8, 8, -1, 8).permute(0, 1, 3, 2, 4).contiguous().view(b, -1, 8, 8);
        var dct = c.DctScale.mul(Contract(blocks.sub(S128), c.Dct, 2));
        return dct.div(table).round();
    }

    // Y/CDequantize, iDCT8x8, BlockMerging: → (B,H,W)
    static Tensor Decode(Tensor coeffs, Tensor table, Constants c, long h, long w)
    {
        long b = coeffs.size(0);
        var idct = Contract(coeffs.mul(table).mul(c.IdctAlpha), c.Idct, 2).mul(Quarter).add(S128, Scalars.One);
        return idct.view(b, h / 8, w / 8, 8, 8).permute(0, 1, 3, 2, 4).contiguous().view(b, h, w);
    }

    // torch.tensordot(a, b, dims=n): the last n dimensions of a with the first n of b (TorchSharp's tensordot(a, b, n)
    // overload fails, so the dimensions are spelled out).
    static Tensor Contract(Tensor a, Tensor b, int n)
    {
        var da = Enumerable.Range((int)a.Dimensions - n, n).Select(i => (long)i).ToArray();
        var db = Enumerable.Range(0, n).Select(i => (long)i).ToArray();
        return tensordot(a, b, da, db);
    }

    // ChromaUpsampling.repeat: x.unsqueeze(-1).repeat(1, 1, 2, 2).view(-1, 2h, 2w) (nearest-neighbour 2×)
    static Tensor Upsample2(Tensor x)
    {
        long h = x.size(1), w = x.size(2);
        return x.unsqueeze(-1).repeat(1, 1, 2, 2).view(-1, h * 2, w * 2);
    }

    Constants ConstantsOn(Device device)
    {
        var key = device.ToString();
        if (!_byDevice.TryGetValue(key, out var c)) _byDevice[key] = c = new Constants(device).Kept();
        return c;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var c in _byDevice.Values) c.Dispose();
        _byDevice.Clear();
    }

    /// <summary>DiffJPEG's buffers on one device, float32 as BasicSR builds them.</summary>
    sealed class Constants : IDisposable
    {
        public readonly Tensor ToYcc, ToYccShift, ToRgb, ToRgbShift, YTable, CTable, Dct, DctScale, Idct, IdctAlpha;

        public Constants(Device device)
        {
            // Every array below is written as in diffjpeg.py and transposed (.T) where it is.
            ToYcc = Matrix([0.299f, 0.587f, 0.114f, -0.168736f, -0.331264f, 0.5f, 0.5f, -0.418688f, -0.081312f], 3, device, transpose: true);
            ToYccShift = tensor(new[] { 0f, 128f, 128f }, device: device);
            ToRgb = Matrix([1f, 0f, 1.402f, 1f, -0.344136f, -0.714136f, 1f, 1.772f, 0f], 3, device, transpose: true);
            ToRgbShift = tensor(new[] { 0f, -128f, -128f }, device: device);
            YTable = Matrix([
                16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
                14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
                49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], 8, device, transpose: true);
            float[] cLow = [17, 18, 24, 47, 18, 21, 26, 66, 24, 26, 56, 99, 47, 66, 99, 99];
            var cTable = Enumerable.Repeat(99f, 64).ToArray();
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) cTable[i * 8 + j] = cLow[j * 4 + i]; // c_table[:4, :4] = array.T
            CTable = Matrix(cTable, 8, device, transpose: false);

            // DCT8x8.tensor[x,y,u,v] = cos((2x+1)uπ/16)·cos((2y+1)vπ/16); iDCT8x8.tensor[x,y,u,v] =
            // cos((2u+1)xπ/16)·cos((2v+1)yπ/16); both computed in double and stored as float32.
            var dct = new float[4096];
            var idct = new float[4096];
            for (int x = 0; x < 8; x++)
                for (int y = 0; y < 8; y++)
                    for (int u = 0; u < 8; u++)
                        for (int v = 0; v < 8; v++)
                        {
                            int i = ((x * 8 + y) * 8 + u) * 8 + v;
                            dct[i] = (float)(Math.Cos((2 * x + 1) * u * Math.PI / 16) * Math.Cos((2 * y + 1) * v * Math.PI / 16));
                            idct[i] = (float)(Math.Cos((2 * u + 1) * x * Math.PI / 16) * Math.Cos((2 * v + 1) * y * Math.PI / 16));
                        }
            Dct = tensor(dct, [8, 8, 8, 8], device: device);
            Idct = tensor(idct, [8, 8, 8, 8], device: device);
            var alpha = new double[8];
            alpha[0] = 1.0 / Math.Sqrt(2);
            for (int i = 1; i < 8; i++) alpha[i] = 1;
            var scale = new float[64];
            var outer = new float[64];
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 8; j++)
                {
                    scale[i * 8 + j] = (float)(alpha[i] * alpha[j] * 0.25);
                    outer[i * 8 + j] = (float)(alpha[i] * alpha[j]);
                }
            DctScale = tensor(scale, [8, 8], device: device);
            IdctAlpha = tensor(outer, [8, 8], device: device);
        }

        static Tensor Matrix(float[] rowMajor, long n, Device device, bool transpose)
        {
            using var m = tensor(rowMajor, [n, n], device: CPU);
            using var t = transpose ? m.t() : m.alias();
            return t.contiguous().to(device);
        }

        Tensor[] All => new[] { ToYcc, ToYccShift, ToRgb, ToRgbShift, YTable, CTable, Dct, DctScale, Idct, IdctAlpha };

        /// <summary>Takes the buffers out of any dispose scope open on the creating thread: they live as long as the
        /// DiffJpeg, whichever scope was open when it was made or first used on a device.</summary>
        public Constants Kept()
        {
            foreach (var t in All) t.DetachFromDisposeScope();
            return this;
        }

        public void Dispose()
        {
            foreach (var t in All) t.Dispose();
        }
    }
}
