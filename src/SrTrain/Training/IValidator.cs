using static TorchSharp.torch;

namespace SrTrain.Training;

/// <summary>Validates a generator; returns named metrics (psnr_y, ssim_y, ...).</summary>
public interface IValidator
{
    Dictionary<string, double> Run(nn.Module<Tensor, Tensor> generator, long step, string imagesDir);
    /// <summary>The same metrics for plain bicubic upscaling (the row every run is compared with).</summary>
    Dictionary<string, double> Baseline { get; }
}
