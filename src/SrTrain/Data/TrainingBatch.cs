using SrTrain.Translational;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Data;

/// <summary>What was drawn for one sample of a batch (for logs and tests): the image, the HQ top-left of the
/// (full) patch in the image, and the augmentation applied.</summary>
public sealed record SampleInfo(string Image, int HqTop, int HqLeft, bool HFlip, bool VFlip, bool Transpose);

/// <summary>One training batch as float32 tensors in [0,1]. Lq (B,3,h,w) and Hq (B,3,H,W) are the main pass; while
/// the translational term is active they are one corner of each full patch and <see cref="SecondView"/> carries
/// another corner's LQ and where the two share a region. The tensors are created on the thread that takes the batch, so they join its current
/// dispose scope; Dispose frees them explicitly.</summary>
public sealed class TrainingBatch : IDisposable
{
    public required long Step { get; init; }
    public required Tensor Lq { get; init; }
    public required Tensor Hq { get; init; }
    /// <summary>Null while the translational term is off.</summary>
    public SecondView? SecondView { get; init; }
    public required IReadOnlyList<SampleInfo> Samples { get; init; }

    public void Dispose()
    {
        Lq.Dispose();
        Hq.Dispose();
        SecondView?.Lq.Dispose();
    }
}

/// <summary>A batch still in managed arrays, as the workers make it.</summary>
internal sealed class BatchData
{
    public required long Step { get; init; }
    public required RgbImage[] Lq { get; init; }
    public required RgbImage[] Hq { get; init; }
    /// <summary>While the translational term is active: the second corner's LQ and the crops of both corners.</summary>
    public (RgbImage[] Lq, CornerCrop MainCrop, CornerCrop Crop)? Second { get; init; }
    public required SampleInfo[] Samples { get; init; }

    public TrainingBatch ToBatch() => new()
    {
        Step = Step,
        Lq = Stack(Lq),
        Hq = Stack(Hq),
        SecondView = Second is var (lq2, main, crop) ? new SecondView(Stack(lq2), main, crop) : null,
        Samples = Samples,
    };

    static Tensor Stack(RgbImage[] images)
    {
        int h = images[0].Height, w = images[0].Width, n = 3 * h * w;
        var data = new float[images.Length * n];
        for (int b = 0; b < images.Length; b++) Array.Copy(images[b].Data, 0, data, b * n, n);
        return torch.tensor(data, new long[] { images.Length, 3, h, w }, device: torch.CPU);
    }
}
