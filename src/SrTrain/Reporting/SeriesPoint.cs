namespace SrTrain.Reporting;

/// <summary>One point of a plotted curve.</summary>
public readonly record struct SeriesPoint(long Step, double Value);
