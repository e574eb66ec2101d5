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
public sealed class TiledUpscaler
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
    /// the caller's dispose scope, if any.</summary>
    public Tensor Upscale(Tensor lq)
    {
        if (lq.dim() != 4 || lq.shape[0] != 1)
            throw new ArgumentException($"expected a (1,C,H,W) tensor, got shape [{string.Join(",", lq.shape)}]");
        using var noGrad = torch.no_grad();
        int h = (int)lq.shape[2], w = (int)lq.shape[3];
        int input = Tile + 2 * Overlap;
        if (Tile == 0 || (h <= input && w <= input))
        {
            using var scope = torch.NewDisposeScope();
            return Run(lq, h, w).MoveToOuterDisposeScope();
        }

        var ys = Starts(h, input);
        var xs = Starts(w, input);
        int th = Math.Min(h, input), tw = Math.Min(w, input);
        _log?.Debug("Tiled upscale {H}x{W}: {Rows}x{Cols} tiles of {TileH}x{TileW} LQ pixels", h, w, ys.Count, xs.Count, th, tw);

        Tensor? output = null, weight = null;
        try
        {
            foreach (int y0 in ys)
                foreach (int x0 in xs)
                {
                    using var scope = torch.NewDisposeScope();
                    var tileIn = lq[TensorIndex.Ellipsis, TensorIndex.Slice(y0, y0 + th), TensorIndex.Slice(x0, x0 + tw)];
                    var tileOut = Run(tileIn, th, tw);
                    if (output is null)
                    {
                        // Accumulators outlive the per-tile scope; they go to the caller's scope (if any) like the result.
                        output = tileOut.new_zeros(1, tileOut.shape[1], (long)h * Scale, (long)w * Scale).MoveToOuterDisposeScope();
                        weight = tileOut.new_zeros(1, 1, (long)h * Scale, (long)w * Scale).MoveToOuterDisposeScope();
                    }
                    var wy = Ramp(th, y0 == 0, y0 + th == h).to(tileOut.dtype, tileOut.device);
                    var wx = Ramp(tw, x0 == 0, x0 + tw == w).to(tileOut.dtype, tileOut.device);
                    var mask = wy.view(-1, 1) * wx.view(1, -1);
                    var rows = TensorIndex.Slice((long)y0 * Scale, (long)(y0 + th) * Scale);
                    var cols = TensorIndex.Slice((long)x0 * Scale, (long)(x0 + tw) * Scale);
                    output[TensorIndex.Ellipsis, rows, cols].add_(tileOut * mask, Scalars.One);
                    weight![TensorIndex.Ellipsis, rows, cols].add_(mask, Scalars.One);
                }
            return output!.div_(weight!);
        }
        catch
        {
            output?.Dispose();
            throw;
        }
        finally
        {
            weight?.Dispose();
        }
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
    Tensor Ramp(int lqLength, bool startOnBorder, bool endOnBorder)
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
        return torch.tensor(values, device: torch.CPU);
    }

    static double Fade(double distance, double dead, double width) =>
        width == 0 ? 1 : Math.Clamp((distance - dead) / width, 0, 1);
}
