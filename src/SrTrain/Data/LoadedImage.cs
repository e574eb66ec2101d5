namespace SrTrain.Data;

/// <summary>The decoded pixels of an entry, at the file's bit depth: HQ cropped to a multiple of the scale (and padded
/// if asked), and the paired LQ if there is one. Dispose when no patch is cut from it any more.</summary>
internal sealed record LoadedImage(PixelImage Hq, PixelImage? Lq) : IDisposable
{
    public void Dispose()
    {
        Hq.Dispose();
        Lq?.Dispose();
    }
}
