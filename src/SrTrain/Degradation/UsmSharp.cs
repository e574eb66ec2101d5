using static TorchSharp.torch;

namespace SrTrain.Degradation;

/// <summary>BasicSR's USMSharp(radius=50, sigma=0): unsharp masking of the GT with a soft threshold mask.</summary>
internal sealed class UsmSharp : IDisposable
{
    public UsmSharp(Device device, int radius = 50) => throw new NotImplementedException();

    /// <summary>forward(img, weight=0.5, threshold=10) on (B,3,H,W) in [0,1].</summary>
    public Tensor Apply(Tensor img, double weight = 0.5, double threshold = 10) => throw new NotImplementedException();

    public void Dispose() { }
}
