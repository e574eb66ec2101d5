namespace SrTrain.Inference;

// Public (the application's types are internal): xunit theories in the tests take it as a parameter.
/// <summary>How the alpha channel of an image with transparency is upscaled.</summary>
public enum AlphaUpscale
{
    /// <summary>Run the generator on alpha replicated to three channels and take the BT.601 grey of its output —
    /// Real-ESRGAN's default (<c>--alpha_upsampler realesrgan</c>): edges of masks stay as sharp as the image's.</summary>
    Generator,

    /// <summary>Bicubic interpolation (PyTorch <c>interpolate</c>, <c>align_corners=False</c>), clamped to [0,1]:
    /// cheaper and never invents texture in the mask.</summary>
    Bicubic,
}
