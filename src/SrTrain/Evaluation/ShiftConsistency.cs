using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Evaluation;

/// <summary>How much a generator's output depends on where content sits in the frame rather than on the content,
/// for shifts by whole LQ pixels: a shift-equivariant upscaler gives the same pixels for the same content wherever it
/// appears. A fully convolutional generator commutes with such a shift except where its padding reaches, so this
/// error mostly measures border effects (which, in a deep generator, can span the whole image). It is blind to
/// patterns whose period divides scale·k output pixels, e.g. the period-scale checkerboard of an upsampler: that is
/// what <see cref="PhaseConsistency"/> measures. The interior part leaves out <c>margin</c> LQ pixels on every side,
/// so border and interior effects can be told apart.</summary>
internal static class ShiftConsistency
{
    /// <summary>The mean absolute difference over the whole overlap (shift_err), see <see cref="MeasureWithInterior"/>.</summary>
    public static double Measure(Func<Tensor, Tensor> upscale, Tensor lq, int scale, int k) =>
        MeasureWithInterior(upscale, lq, scale, k, 0).All;

    /// <summary>Upscales <paramref name="lq"/> (1,C,h,w) and the same image with its first <paramref name="k"/>
    /// rows and columns cut off (<c>lq[..., k:, k:]</c>), then returns the mean absolute difference, in [0,1] units,
    /// between the two outputs where they show the same content: <c>out1[..., k·s:, k·s:]</c> against <c>out2</c>
    /// (All), and the same on that overlap without <paramref name="marginLq"/>·scale output pixels on each side
    /// (Interior; the margin shrinks on small images so that at least one pixel remains). Both are zero for an upscaler
    /// whose output does not depend on absolute position.</summary>
    public static (double All, double Interior) MeasureWithInterior(Func<Tensor, Tensor> upscale, Tensor lq, int scale, int k, int marginLq)
    {
        if (lq.dim() != 4) throw new ArgumentException($"expected a (1,C,h,w) tensor, got shape [{string.Join(",", lq.shape)}]");
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "must be >= 1");
        if (k < 1 || k >= lq.shape[2] || k >= lq.shape[3])
            throw new ArgumentOutOfRangeException(nameof(k), k, $"must be in [1, {Math.Min(lq.shape[2], lq.shape[3]) - 1}]");
        if (marginLq < 0) throw new ArgumentOutOfRangeException(nameof(marginLq), marginLq, "must be >= 0");
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var out1 = upscale(lq);
        var out2 = upscale(lq[.., .., k.., k..]);
        long ks = (long)k * scale;
        var overlap = out1[TensorIndex.Ellipsis, TensorIndex.Slice(ks), TensorIndex.Slice(ks)];
        if (!overlap.shape.SequenceEqual(out2.shape))
            throw new ArgumentException(
                $"the upscaler's outputs do not line up for scale {scale}: [{string.Join(",", overlap.shape)}] vs [{string.Join(",", out2.shape)}]");
        var diff = (overlap.to(ScalarType.Float64) - out2.to(ScalarType.Float64)).abs();
        double all = diff.mean().item<double>();
        double interior = Interior(diff, (long)marginLq * scale).mean().item<double>();
        return (all, interior);
    }

    /// <summary><paramref name="nchw"/> without <paramref name="margin"/> pixels on each side, the margin shrunk per
    /// axis so that at least one pixel remains.</summary>
    internal static Tensor Interior(Tensor nchw, long margin)
    {
        long h = nchw.shape[^2], w = nchw.shape[^1];
        long mh = Math.Min(margin, (h - 1) / 2), mw = Math.Min(margin, (w - 1) / 2);
        return nchw[TensorIndex.Ellipsis, TensorIndex.Slice(mh, h - mh), TensorIndex.Slice(mw, w - mw)];
    }
}
