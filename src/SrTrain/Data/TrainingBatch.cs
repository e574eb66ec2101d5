using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Data;

/// <summary>What was drawn for one sample of a batch (for logs and tests): the image, the HQ top-left of the
/// (full) patch in the image, and the augmentation applied.</summary>
public sealed record SampleInfo(string Image, int HqTop, int HqLeft, bool HFlip, bool VFlip, bool Transpose);

/// <summary>One training batch as float32 tensors in [0,1]. Lq (B,3,h,w) and Hq (B,3,H,W) are the main pass; with
/// the translational term on they are corner <see cref="Corner1"/> of each full patch and Lq2/Hq2 are corner
/// <see cref="Corner2"/>; <see cref="Region1"/>/<see cref="Region2"/> locate the region both share in each crop's own
/// HQ (output) coordinates. The tensors are created on the thread that takes the batch, so they join its current
/// dispose scope; Dispose frees them explicitly.</summary>
public sealed class TrainingBatch : IDisposable
{
    public required long Step { get; init; }
    public required Tensor Lq { get; init; }
    public required Tensor Hq { get; init; }
    public Tensor? Lq2 { get; init; }
    public Tensor? Hq2 { get; init; }
    public Corner? Corner1 { get; init; }
    public Corner? Corner2 { get; init; }
    public Region? Region1 { get; init; }
    public Region? Region2 { get; init; }
    public required IReadOnlyList<SampleInfo> Samples { get; init; }

    public void Dispose()
    {
        Lq.Dispose();
        Hq.Dispose();
        Lq2?.Dispose();
        Hq2?.Dispose();
    }
}

/// <summary>A batch still in managed arrays, as the workers make it.</summary>
internal sealed class BatchData
{
    public required long Step { get; init; }
    public required RgbImage[] Lq { get; init; }
    public required RgbImage[] Hq { get; init; }
    public RgbImage[]? Lq2 { get; init; }
    public RgbImage[]? Hq2 { get; init; }
    public CornerCrop? Crop1 { get; init; }
    public CornerCrop? Crop2 { get; init; }
    public required SampleInfo[] Samples { get; init; }

    public TrainingBatch ToBatch() => new()
    {
        Step = Step,
        Lq = Stack(Lq),
        Hq = Stack(Hq),
        Lq2 = Lq2 == null ? null : Stack(Lq2),
        Hq2 = Hq2 == null ? null : Stack(Hq2),
        Corner1 = Crop1?.Corner,
        Corner2 = Crop2?.Corner,
        Region1 = Crop1?.Shared,
        Region2 = Crop2?.Shared,
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
