namespace SrTrain.Evaluation;

/// <summary>Settings of an evaluation.</summary>
/// <param name="Scale">Upscaling factor (HQ = scale · LQ).</param>
/// <param name="CropBorder">Pixels dropped on every side before PSNR-Y/SSIM-Y (BasicSR: crop_border = scale). The
/// RGB metrics use the whole image, as validation during training does.</param>
/// <param name="ShiftK">LQ shift of the shift-consistency error (clipped to the image).</param>
public sealed record EvalOptions(int Scale, int CropBorder, int ShiftK = 3);
