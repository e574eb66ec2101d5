using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Models;

/// <summary>RRDBNet at x2 and x1 pixel-unshuffles its input by 2 and 4, so its input sides must be multiples of that.
/// The one place that says so, for inference (<c>Upscaler</c>) and training validation alike.</summary>
internal static class InputPadding
{
    /// <summary>The multiple input sides must have: 2 for RRDBNet x2, 4 for RRDBNet x1, else 1.</summary>
    public static int RequiredMultiple(bool isRrdbNet, int scale) => isRrdbNet ? scale switch { 2 => 2, 1 => 4, _ => 1 } : 1;

    /// <summary>A shift of <paramref name="k"/> input pixels rounded up onto the unshuffle grid: a shift off the grid
    /// would measure the architecture's fixed 2- or 4-pixel phase, not what the generator learned.</summary>
    public static int ShiftOnGrid(int k, int multiple) => (k + multiple - 1) / multiple * multiple;

    /// <summary>Runs <paramref name="net"/> on (1,C,h,w) after reflect-padding the bottom/right to
    /// <paramref name="multiple"/>, and crops the output back to (h·scale, w·scale), as Real-ESRGAN's
    /// <c>RealESRGANer.pre_process</c> does (reflection rather than zeros, so the border sees image-like content).</summary>
    public static Tensor Run(Func<Tensor, Tensor> net, Tensor x, int multiple, int scale)
    {
        long h = x.shape[2], w = x.shape[3];
        long padH = (multiple - h % multiple) % multiple, padW = (multiple - w % multiple) % multiple;
        if (padH == 0 && padW == 0) return net(x);
        // Reflection needs the pad to be shorter than the side; tiny images fall back to repeating the edge.
        var mode = padH < h && padW < w ? PaddingModes.Reflect : PaddingModes.Replicate;
        using var padded = nn.functional.pad(x, new[] { 0, padW, 0, padH }, mode);
        using var y = net(padded);
        return y[TensorIndex.Ellipsis, TensorIndex.Slice(0, h * scale), TensorIndex.Slice(0, w * scale)].contiguous();
    }
}
