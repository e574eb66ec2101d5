namespace SrTrain.Reporting;

/// <summary>The files a report wrote, and the data they were drawn from.</summary>
internal sealed record ReportResult(string OutDir, string MarkdownPath, IReadOnlyList<string> ValidationPlots,
    IReadOnlyList<string> LossPlots, GridResult Grid, ReportData Data);
