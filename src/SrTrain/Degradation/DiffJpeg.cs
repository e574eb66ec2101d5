using static TorchSharp.torch;

namespace SrTrain.Degradation;

/// <summary>BasicSR's DiffJPEG(differentiable=False) (basicsr/utils/diffjpeg.py): JPEG compression and decompression
/// in tensor operations, one quality per image, on the tensors' device.</summary>
internal sealed class DiffJpeg : IDisposable
{
    public DiffJpeg(Device device) => throw new NotImplementedException();

    /// <summary>img (B,3,H,W) in [0,1], quality (B) in BasicSR's 0..100 range; returns (B,3,H,W).</summary>
    public Tensor Apply(Tensor img, Tensor quality) => throw new NotImplementedException();

    public void Dispose() { }
}
