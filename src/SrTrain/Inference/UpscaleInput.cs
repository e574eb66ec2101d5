using static TorchSharp.torch;

namespace SrTrain.Inference;

/// <summary>An image read for upscaling: colour always as three channels (grey replicated), alpha apart.</summary>
internal sealed class UpscaleInput : IDisposable
{
    internal UpscaleInput(Tensor rgb, Tensor? alpha, ImageLayout layout)
    {
        Rgb = rgb;
        Alpha = alpha;
        Layout = layout;
    }

    /// <summary>(1,3,H,W) float32 in [0,1].</summary>
    public Tensor Rgb { get; }

    /// <summary>(1,1,H,W) float32 in [0,1], or null when the file has no transparency.</summary>
    public Tensor? Alpha { get; }

    public ImageLayout Layout { get; }

    public void Dispose()
    {
        Rgb.Dispose();
        Alpha?.Dispose();
    }
}
