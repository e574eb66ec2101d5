namespace SrTrain.Reporting;

/// <summary>Final and best value of one validation metric of one run, and their differences to the first run.</summary>
internal sealed record MetricSummary(string Run, string Metric, SeriesPoint Final, SeriesPoint Best, double? DeltaFinal, double? DeltaBest);
