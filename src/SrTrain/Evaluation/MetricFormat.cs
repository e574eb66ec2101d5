using System.Globalization;

namespace SrTrain.Evaluation;

/// <summary>How a metric's value is shown wherever people read it (the training log, eval's table, report.md).
/// PSNR in dB with 3 decimals and SSIM with 4 are readable as they are; the small ones (shift_err ≈ 3e-4, the
/// project's key metric, and vgg_dist) are shown in scientific notation with 4 significant digits, because fixed
/// decimals rounded them to 0.0003/0.0004 and hid the difference the A/B is about.</summary>
internal static class MetricFormat
{
    public static string Format(string metric, double v)
    {
        if (!double.IsFinite(v)) return v.ToString(CultureInfo.InvariantCulture);
        if (metric.StartsWith("psnr", StringComparison.Ordinal)) return v.ToString("F3", CultureInfo.InvariantCulture);
        if (metric.StartsWith("ssim", StringComparison.Ordinal)) return v.ToString("F4", CultureInfo.InvariantCulture);
        return Small(v);
    }

    /// <summary>4 significant digits: fixed below 1000 and above 0.01, scientific otherwise ("4.231e-4").</summary>
    public static string Small(double v)
    {
        double a = Math.Abs(v);
        if (v == 0) return "0";
        if (a >= 0.01 && a < 1000) return v.ToString("G4", CultureInfo.InvariantCulture);
        return v.ToString("0.000e+0", CultureInfo.InvariantCulture).Replace("e+", "e");
    }

    /// <summary>"name value name value ..." for a log line.</summary>
    public static string Line(IEnumerable<KeyValuePair<string, double>> metrics) =>
        string.Join(" ", metrics.Select(kv => $"{kv.Key} {Format(kv.Key, kv.Value)}"));
}
