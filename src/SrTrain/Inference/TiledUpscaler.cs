using Serilog;
using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Inference;

/// <summary>Upscales images too large to push through the generator at once, tile by tile, so memory is bounded by
/// the tile size instead of the image size.
///
/// Geometry (as Real-ESRGAN's <c>--tile</c>/<c>--tile_pad</c>): the LQ image is cut into cores of
/// <see cref="Tile"/> pixels; each network input is the core plus <see cref="Overlap"/> pixels on every side, i.e.
/// <c>Tile + 2·Overlap</c> pixels, and neighbouring inputs share at least <c>2·Overlap</c> pixels. The last tile of a
/// row or column is shifted inward so that every input has the full size (a network sees no unusually thin tile),
/// unless the image is smaller than one input along that axis, in which case the tile spans the whole axis.
///
/// Blending: each tile's output is weighted by a mask that is 1 in its interior and, along every side that lies
/// inside the image, is 0 for the first <c>Overlap/2</c> LQ pixels and then rises linearly to 1 over the next
/// <c>Overlap</c> pixels; the result is Σ mask·output / Σ mask. Two neighbours' ramps are mirror images across their
/// shared strip, so they cross-fade without a seam. Because a tile contributes nothing within <c>⌊Overlap/2⌋</c>
/// pixels of a cut, every contributing pixel saw all the context the untiled network would have seen when the
/// network's receptive field reaches at most <c>⌊Overlap/2⌋</c> LQ pixels: the tiled result then equals the untiled
/// one up to float rounding. Wider receptive fields (RRDB) give small differences that decay with the overlap.</summary>
internal sealed class TiledUpscaler
{
    readonly Func<Tensor, Tensor> _generator;
    readonly ILogger? _log;

    /// <param name="generator">Maps a (1,C,h,w) LQ tensor to (1,C',h·scale,w·scale). It must accept inputs of
    /// <c>tile + 2·overlap</c> pixels (a multiple of 2 or 4 for networks that pixel-unshuffle first) and of the image's
    /// own size along axes shorter than that.</param>
    /// <param name="scale">The generator's upscaling factor.</param>
    /// <param name="tile">Core tile size in LQ pixels; 0 runs the whole image at once.</param>
    /// <param name="overlap">Context added on each side of a core, in LQ pixels.</param>
    /// <param name="log">Optional; logs the tile grid at Debug level.</param>
    public TiledUpscaler(Func<Tensor, Tensor> generator, int scale, int tile = 192, int overlap = 16, ILogger? log = null)
    {
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "must be >= 1");
        if (tile < 0) throw new ArgumentOutOfRangeException(nameof(tile), tile, "must be >= 0 (0 = untiled)");
        if (overlap < 0) throw new ArgumentOutOfRangeException(nameof(overlap), overlap, "must be >= 0");
        _generator = generator;
        Scale = scale;
        Tile = tile;
        Overlap = overlap;
        _log = log;
    }

    public int Scale { get; }
    public int Tile { get; }
    public int Overlap { get; }

    /// <summary>Upscales a (1,C,H,W) LQ tensor to (1,C',H·scale,W·scale) without gradients. The result belongs to
    /// the caller's dispose scope, if any. For images too large to hold as float, use <see cref="UpscaleBands"/>.</summary>
    public Tensor Upscale(Tensor lq)
    {
        if (lq.dim() != 4 || lq.shape[0] != 1)
            throw new ArgumentException($"expected a (1,C,H,W) tensor, got shape [{string.Join(",", lq.shape)}]");
        using var noGrad = torch.no_grad();
        int h = (int)lq.shape[2], w = (int)lq.shape[3];
        if (IsWhole(h, w))
        {
            using var scope = torch.NewDisposeScope();
            return Run(lq, h, w).MoveToOuterDisposeScope();
        }
        // Made in the caller's scope (if any) so that the output, allocated inside the bands' scopes, can join it there.
        using var anchor = torch.empty(0, device: lq.device);
        Tensor? output = null;
        try
        {
            UpscaleBands(h, w,
                (top, left, th, tw) => lq[TensorIndex.Ellipsis, TensorIndex.Slice(top, top + th), TensorIndex.Slice(left, left + tw)],
                (rows, firstRow) =>
                {
                    // Outlives the bands' scopes; it goes to the caller's scope (if any) like the result.
                    output ??= rows.new_zeros(1, rows.shape[1], (long)h * Scale, (long)w * Scale).MoveToOtherDisposeScope(anchor);
                    output[TensorIndex.Ellipsis, TensorIndex.Slice(firstRow, firstRow + rows.shape[2]), TensorIndex.Colon].copy_(rows);
                });
            return output!;
        }
        catch
        {
            output?.Dispose();
            throw;
        }
    }

    /// <summary>True when an H×W image goes through the generator in one piece.</summary>
    public bool IsWhole(int height, int width) => Tile == 0 || (height <= Tile + 2 * Overlap && width <= Tile + 2 * Overlap);

    /// <summary>Tiles of an H×W image (rows × columns).</summary>
    public int TileCount(int height, int width) =>
        IsWhole(height, width) ? 1 : Starts(height, Tile + 2 * Overlap).Count * Starts(width, Tile + 2 * Overlap).Count;

    /// <summary>Upscales an H×W image that the caller holds in any form, without ever making a float tensor of the
    /// whole image or of the whole output: <paramref name="read"/> gives one network input (top, left, height, width)
    /// as a (1,C,h,w) tensor, and <paramref name="emit"/> receives the finished output rows in order, top to bottom, as
    /// (1,C',n,W·scale) with the index of their first row. The rows tensor lives only during the call. Besides the
    /// tiles, one band of output rows <c>(Tile + 2·Overlap)·scale</c> high and as wide as the output is held, in
    /// float. Without gradients; an image that <see cref="IsWhole"/> is read and emitted in one piece.</summary>
    public void UpscaleBands(int height, int width, Func<int, int, int, int, Tensor> read, Action<Tensor, long> emit)
    {
        if (height < 1 || width < 1) throw new ArgumentOutOfRangeException(nameof(height), $"image size {width}x{height}");
        using var noGrad = torch.no_grad();
        int h = height, w = width;
        if (IsWhole(h, w))
        {
            using var scope = torch.NewDisposeScope();
            var whole = Run(read(0, 0, h, w), h, w);
            for (long r = 0; r < whole.shape[2]; r += EmitRows)
                emit(whole.narrow(2, r, Math.Min(EmitRows, whole.shape[2] - r)), r);
            return;
        }

        int input = Tile + 2 * Overlap;
        var ys = Starts(h, input);
        var xs = Starts(w, input);
        int th = Math.Min(h, input), tw = Math.Min(w, input);
        _log?.Debug("Tiled upscale {H}x{W}: {Rows}x{Cols} tiles of {TileH}x{TileW} LQ pixels", h, w, ys.Count, xs.Count, th, tw);

        // The blend weights are a product of a row ramp and a column ramp on a product grid of tiles, so their sum over
        // the tiles covering a pixel is (Σ row ramps)·(Σ column ramps): two 1-D sums instead of a weight image.
        var rowRamps = ys.Select(y0 => RampValues(th, y0 == 0, y0 + th == h)).ToList();
        var colRamps = xs.Select(x0 => RampValues(tw, x0 == 0, x0 + tw == w)).ToList();
        var rowSum = Sums(ys, rowRamps, (long)h * Scale);
        var colSum = Sums(xs, colRamps, (long)w * Scale);

        using var outer = torch.NewDisposeScope();
        Tensor? band = null;     // Σ mask·output over output rows [bandTop, bandTop + th·scale), all columns
        long bandTop = 0, bandRows = (long)th * Scale, outWidth = (long)w * Scale;
        for (int r = 0; r < ys.Count; r++)
        {
            long top = (long)ys[r] * Scale;
            if (band is not null && top > bandTop)
            {
                // Rows above this tile row's first are final: no later tile reaches them.
                long done = top - bandTop;
                Emit(band, bandTop, done, rowSum, colSum, emit);
                long keep = bandRows - done;
                if (keep > 0) band.narrow(2, 0, keep).copy_(band.narrow(2, done, keep).clone());
                band.narrow(2, Math.Max(keep, 0), Math.Min(done, bandRows)).zero_();
                bandTop = top;
            }
            for (int c = 0; c < xs.Count; c++)
            {
                using var scope = torch.NewDisposeScope();
                int x0 = xs[c];
                var tileOut = Run(read(ys[r], x0, th, tw), th, tw);
                if (band is null)
                {
                    band = tileOut.new_zeros(1, tileOut.shape[1], bandRows, outWidth).MoveToOuterDisposeScope();
                    bandTop = top;
                }
                var wy = torch.tensor(rowRamps[r], device: torch.CPU).to(tileOut.dtype, tileOut.device);
                var wx = torch.tensor(colRamps[c], device: torch.CPU).to(tileOut.dtype, tileOut.device);
                var mask = wy.view(-1, 1) * wx.view(1, -1);
                band[TensorIndex.Ellipsis, TensorIndex.Colon, TensorIndex.Slice((long)x0 * Scale, (long)(x0 + tw) * Scale)].add_(tileOut * mask, Scalars.One);
            }
        }
        Emit(band!, bandTop, (long)h * Scale - bandTop, rowSum, colSum, emit);
    }

    /// <summary>Output rows per <c>emit</c> call: what the caller makes of them (levels, float64 metrics) stays small
    /// even for a wide image.</summary>
    const int EmitRows = 16;

    static void Emit(Tensor band, long bandTop, long rows, float[] rowSum, float[] colSum, Action<Tensor, long> emit)
    {
        for (long r = 0; r < rows; r += EmitRows)
        {
            using var scope = torch.NewDisposeScope();
            long n = Math.Min(EmitRows, rows - r);
            var rs = torch.tensor(rowSum.AsSpan((int)(bandTop + r), (int)n).ToArray(), device: torch.CPU).to(band.dtype, band.device);
            var cs = torch.tensor(colSum, device: torch.CPU).to(band.dtype, band.device);
            emit(band.narrow(2, r, n) / (rs.view(-1, 1) * cs.view(1, -1)), bandTop + r);
        }
    }

    float[] Sums(List<int> starts, List<float[]> ramps, long outLength)
    {
        var sum = new float[outLength];
        for (int i = 0; i < starts.Count; i++)
        {
            long o = (long)starts[i] * Scale;
            var ramp = ramps[i];
            for (int j = 0; j < ramp.Length; j++) sum[o + j] += ramp[j];
        }
        return sum;
    }

    Tensor Run(Tensor x, int h, int w)
    {
        var y = _generator(x);
        if (y.dim() != 4 || y.shape[0] != 1 || y.shape[2] != (long)h * Scale || y.shape[3] != (long)w * Scale)
            throw new InvalidOperationException(
                $"the generator turned a {h}x{w} input into shape [{string.Join(",", y.shape)}], expected (1,C,{h * Scale},{w * Scale}) for scale {Scale}");
        return y;
    }

    /// <summary>Input start positions along one axis: every Tile pixels, the last one moved inward to end at the
    /// border, so consecutive inputs share at least 2·Overlap pixels.</summary>
    List<int> Starts(int length, int input)
    {
        if (length <= input) return new List<int> { 0 };
        int count = (int)Math.Ceiling((length - input) / (double)Tile) + 1;
        var starts = new List<int>(count);
        for (int i = 0; i < count; i++) starts.Add(Math.Min(i * Tile, length - input));
        return starts;
    }

    /// <summary>The 1-D blend weight over one tile's output pixels. Sides on the image border keep weight 1 (nothing
    /// to blend with there); each inner side is 0 up to Overlap/2 LQ pixels from the cut, then a linear ramp to 1 at
    /// 1.5·Overlap. Distances are measured at output pixel centres in LQ units, so the mask is the same for any scale.</summary>
    float[] RampValues(int lqLength, bool startOnBorder, bool endOnBorder)
    {
        int n = lqLength * Scale;
        var values = new float[n];
        double dead = Overlap / 2.0, width = Overlap;
        for (int j = 0; j < n; j++)
        {
            double fromStart = (j + 0.5) / Scale, fromEnd = (n - j - 0.5) / Scale;
            double v = 1;
            if (!startOnBorder) v *= Fade(fromStart, dead, width);
            if (!endOnBorder) v *= Fade(fromEnd, dead, width);
            values[j] = (float)v;
        }
        return values;
    }

    static double Fade(double distance, double dead, double width) =>
        width == 0 ? 1 : Math.Clamp((distance - dead) / width, 0, 1);
}
