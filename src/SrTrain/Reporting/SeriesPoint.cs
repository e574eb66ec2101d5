namespace SrTrain.Reporting;

/// <summary>One point of a plotted curve.</summary>
internal readonly record struct SeriesPoint(long Step, double Value);
