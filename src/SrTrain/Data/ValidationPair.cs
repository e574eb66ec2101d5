using static TorchSharp.torch;

namespace SrTrain.Data;

/// <summary>A validation image: LQ (1,3,h,w) and HQ (1,3,H,W) float32 in [0,1], H = scale·h, W = scale·w.</summary>
internal sealed record ValidationPair(string Name, Tensor Lq, Tensor Hq) : IDisposable
{
    public void Dispose()
    {
        Lq.Dispose();
        Hq.Dispose();
    }
}
