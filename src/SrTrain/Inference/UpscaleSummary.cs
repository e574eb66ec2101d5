namespace SrTrain.Inference;

/// <summary>How a batch went. <paramref name="Failed"/> includes arguments that named no image.</summary>
internal sealed record UpscaleSummary(int Written, int Skipped, int Failed)
{
    /// <summary>Nothing failed: every input was written, or skipped because its output already exists (an incremental
    /// batch run again).</summary>
    public bool NothingFailed => Failed == 0;
}
