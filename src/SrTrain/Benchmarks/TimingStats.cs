namespace SrTrain.Benchmarks;

/// <summary>Median and spread of a set of timings (milliseconds). Percentiles interpolate linearly between ranks.</summary>
internal sealed record TimingStats(int Count, double Median, double P10, double P90, double Min, double Max)
{
    public static TimingStats Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("no timings", nameof(values));
        var sorted = values.OrderBy(v => v).ToArray();
        return new TimingStats(sorted.Length, Percentile(sorted, 0.5), Percentile(sorted, 0.1), Percentile(sorted, 0.9), sorted[0], sorted[^1]);
    }

    /// <summary>Percentile q in [0,1] of ascending values, numpy's default ('linear') method.</summary>
    public static double Percentile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
