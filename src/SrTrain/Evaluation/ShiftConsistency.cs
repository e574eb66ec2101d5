using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Evaluation;

/// <summary>How much a generator's output depends on where content sits in the frame rather than on the content:
/// a shift-equivariant upscaler gives the same pixels for the same content wherever it appears. GAN generators that
/// learn position-dependent textures (often from padding) fail this, which shows up as patterns fixed to the frame.</summary>
public static class ShiftConsistency
{
    /// <summary>Upscales <paramref name="lq"/> (1,C,h,w) and the same image with its first <paramref name="k"/>
    /// rows and columns cut off (<c>lq[..., k:, k:]</c>), then returns the mean absolute difference, in [0,1] units,
    /// between the two outputs where they show the same content: <c>out1[..., k·s:, k·s:]</c> against <c>out2</c>.
    /// Zero for an upscaler whose output does not depend on absolute position.</summary>
    public static double Measure(Func<Tensor, Tensor> upscale, Tensor lq, int scale, int k)
    {
        if (lq.dim() != 4) throw new ArgumentException($"expected a (1,C,h,w) tensor, got shape [{string.Join(",", lq.shape)}]");
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "must be >= 1");
        if (k < 1 || k >= lq.shape[2] || k >= lq.shape[3])
            throw new ArgumentOutOfRangeException(nameof(k), k, $"must be in [1, {Math.Min(lq.shape[2], lq.shape[3]) - 1}]");
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var out1 = upscale(lq);
        var out2 = upscale(lq[.., .., k.., k..]);
        long ks = (long)k * scale;
        var overlap = out1[TensorIndex.Ellipsis, TensorIndex.Slice(ks), TensorIndex.Slice(ks)];
        if (!overlap.shape.SequenceEqual(out2.shape))
            throw new ArgumentException(
                $"the upscaler's outputs do not line up for scale {scale}: [{string.Join(",", overlap.shape)}] vs [{string.Join(",", out2.shape)}]");
        return (overlap.to(ScalarType.Float64) - out2.to(ScalarType.Float64)).abs().mean().item<double>();
    }
}
