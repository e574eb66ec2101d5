namespace SrTrain.Inference;

/// <summary>How a batch went. <paramref name="Failed"/> includes arguments that named no image.</summary>
public sealed record UpscaleSummary(int Written, int Skipped, int Failed)
{
    public bool AllWritten => Skipped == 0 && Failed == 0;
}
