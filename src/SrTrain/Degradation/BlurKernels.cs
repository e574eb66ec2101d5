namespace SrTrain.Degradation;

/// <summary>BasicSR's blur kernels (basicsr/data/degradations.py): bivariate Gaussian, generalized Gaussian, plateau,
/// and the circular low-pass (sinc) kernel, computed in double as numpy does.</summary>
internal static class BlurKernels
{
    /// <summary>Every kernel is padded to this size (RealESRGANDataset pads with np.pad, the final sinc with pad_to=21).</summary>
    public const int PaddedSize = 21;

    /// <summary>The kernel of <paramref name="draw"/>, normalised as BasicSR does and zero-padded to 21×21, row-major,
    /// as float32 (torch.FloatTensor of the float64 kernel).</summary>
    public static float[] Make(KernelDraw draw) => throw new NotImplementedException();
}
