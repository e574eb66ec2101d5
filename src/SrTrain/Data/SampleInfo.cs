using System.Globalization;
using System.Text;
using SrTrain.Degradation;

namespace SrTrain.Data;

/// <summary>What was drawn for one sample of a batch (for logs and tests): the image, the HQ top-left of the
/// (full) patch in the image, and the augmentation applied. With Real-ESRGAN's degradation the top-left is in the
/// augmented (and padded) image, as BasicSR crops it, and the draws and the pool origin are kept too.</summary>
internal sealed record SampleInfo(string Image, int HqTop, int HqLeft, bool HFlip, bool VFlip, bool Transpose)
{
    /// <summary>Real-ESRGAN: the sample's own draws (of its origin step).</summary>
    public SampleDraws? Draws { get; init; }

    /// <summary>Real-ESRGAN: the batch draws of the origin step, which degraded this sample.</summary>
    public BatchDraws? BatchDraws { get; init; }

    /// <summary>Real-ESRGAN: the (step, global sample index) this pair was made for; another step's when it came out
    /// of the training-pair pool.</summary>
    public PairOrigin? Origin { get; init; }

    // The record's text without the Real-ESRGAN members when they are unset: the text of a plain sample stays what it
    // was (tests pin hashes of it).
    bool PrintMembers(StringBuilder b)
    {
        b.Append(CultureInfo.InvariantCulture, $"Image = {Image}, HqTop = {HqTop}, HqLeft = {HqLeft}, HFlip = {HFlip}, VFlip = {VFlip}, Transpose = {Transpose}");
        if (Draws != null) b.Append(", Draws = ").Append(Draws);
        if (BatchDraws != null) b.Append(", BatchDraws = ").Append(BatchDraws);
        if (Origin != null) b.Append(", Origin = ").Append(Origin);
        return true;
    }
}
