using SrTrain.Translational;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Data;

/// <summary>A batch still in managed arrays, as the workers make it.</summary>
internal sealed class BatchData
{
    public required long Step { get; init; }
    public required RgbImage[] Lq { get; init; }
    public required RgbImage[] Hq { get; init; }
    /// <summary>While the translational term is active: the second corner's LQ and the crops of both corners.</summary>
    public (RgbImage[] Lq, CornerCrop MainCrop, CornerCrop Crop)? Second { get; init; }
    /// <summary>While the term is active with free or sub-pixel views: the second views' LQ and each sample's regions.</summary>
    public (RgbImage[] Lq, Region[] Main, Region[] Second)? SampleViews { get; init; }
    public required SampleInfo[] Samples { get; init; }

    public TrainingBatch ToBatch() => new()
    {
        Step = Step,
        Lq = Stack(Lq),
        Hq = Stack(Hq),
        SecondView = Second is var (lq2, main, crop) ? new SecondView(Stack(lq2), main, crop)
            : SampleViews is var (lqs, mains, seconds) ? new SecondView(Stack(lqs), mains, seconds) : null,
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
