using static TorchSharp.torch;

namespace SrTrain.Models;

/// <summary>libtorch's CPU convolutions (oneDNN) run 25–30% faster on channels-last (NHWC) activations than on NCHW ones
/// for SrTrain's networks: NCHW input is reordered to a blocked layout and back around every conv, which costs more
/// than the conv itself for narrow layers (16–32 channels at large sizes). A network converts its input once; every
/// conv, activation, concatenation and upsampling after it keeps the layout. Results equal the NCHW ones up to float
/// rounding (~1e-7); the weights and state dicts are untouched.</summary>
internal static class ChannelsLast
{
    /// <summary>The same (N,C,H,W) tensor with NHWC memory order (differentiable; no copy when it already is).</summary>
    public static Tensor Of(Tensor x)
    {
        if (x.dim() != 4) return x;
        var s = x.stride();
        long c = x.shape[1], w = x.shape[3];
        if (s[1] == 1 && s[3] == c && s[2] == c * w) return x.alias();
        return x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
    }
}
