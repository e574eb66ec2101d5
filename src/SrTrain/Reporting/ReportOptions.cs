namespace SrTrain.Reporting;

/// <summary>How the report is drawn.</summary>
internal sealed record ReportOptions
{
    /// <summary>Weight of the loss curves' moving average (TensorBoard's smoothing slider); 0 = raw.</summary>
    public double Smoothing { get; init; } = 0.6;
    /// <summary>At most this many validation images (rows) in the image grid.</summary>
    public int GridImages { get; init; } = 3;
    /// <summary>Side of the grid's center crops, in LQ pixels, so the grid stays small.</summary>
    public int GridCropLq { get; init; } = 48;
    public int PlotWidth { get; init; } = 800;
    public int PlotHeight { get; init; } = 520;
}
