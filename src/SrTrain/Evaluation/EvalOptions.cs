namespace SrTrain.Evaluation;

/// <summary>Settings of an evaluation.</summary>
/// <param name="Scale">Upscaling factor (HQ = scale · LQ).</param>
/// <param name="CropBorder">Pixels dropped on every side before PSNR-Y/SSIM-Y (BasicSR: crop_border = scale). The
/// RGB metrics use the whole image, as validation during training does.</param>
/// <param name="ShiftK">LQ shift of the shift-consistency error (clipped to the image).</param>
/// <param name="WholeImageMaxPixels">HQ images up to this size are measured whole, as training's validation does. Larger
/// ones are upscaled in tiles and measured by bands (PSNR/SSIM over the whole image), with vgg_dist and shift_err on
/// the central <paramref name="Window"/>×<paramref name="Window"/> pixels, so memory stays bounded.</param>
/// <param name="Window">Side of that central window, in HQ pixels.</param>
internal sealed record EvalOptions(int Scale, int CropBorder, int ShiftK = 3, long WholeImageMaxPixels = EvalOptions.DefaultWholeImageMaxPixels,
    int Window = 512)
{
    /// <summary>1 MP (1024x1024 HQ): Set5, Set14, BSD100 and Urban100 images are measured whole.</summary>
    public const long DefaultWholeImageMaxPixels = 1L << 20;
}
