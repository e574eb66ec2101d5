using ScottPlot;

namespace SrTrain.Reporting;

/// <summary>PNG line plots of the report's series (ScottPlot, rendered off-screen by SkiaSharp; text needs a system
/// font such as Debian's fonts-dejavu-core).</summary>
internal static class MetricPlots
{
    static readonly IPalette Palette = new ScottPlot.Palettes.Category10();

    /// <summary>One validation metric over steps: a curve per run (a branch's curve starts at its parent's value at
    /// the branch step, marked by a dotted vertical line), where a term joins inside a run (densely dashed), and the
    /// bicubic baseline dashed.</summary>
    public static void WriteValidationPlot(ReportData data, string metric, string path, int width, int height)
    {
        var plot = new Plot();
        for (int i = 0; i < data.Runs.Count; i++)
        {
            var run = data.Runs[i];
            var series = run.Series(ReportData.ValKind, metric);
            if (series.Count == 0) continue;
            var color = Palette.GetColor(i);
            var line = plot.Add.Scatter(series.Select(p => (double)p.Step).ToArray(), series.Select(p => p.Value).ToArray(), color);
            line.LegendText = run.Label;
            line.LineWidth = 2;
            line.MarkerSize = 6;
            AddBranchMark(plot, run, color);
        }
        AddPhaseMarks(plot, data);
        foreach (var (value, runs) in data.Baselines(metric))
        {
            var h = plot.Add.HorizontalLine(value, 1.5f, Colors.Gray, LinePattern.Dashed);
            h.LegendText = data.Baselines(metric).Count == 1 ? "bicubic" : $"bicubic ({string.Join(", ", runs)})";
        }
        plot.Title($"{metric} ({(ReportData.HigherIsBetter(metric) ? "higher" : "lower")} is better)");
        Finish(plot, path, width, height);
    }

    /// <summary>One training loss over steps: per run the raw values as a faint line and the smoothed values
    /// (<see cref="ReportData.Smooth"/>) on top.</summary>
    public static void WriteLossPlot(ReportData data, string loss, double smoothing, string path, int width, int height)
    {
        var plot = new Plot();
        for (int i = 0; i < data.Runs.Count; i++)
        {
            var run = data.Runs[i];
            var raw = run.Series(ReportData.TrainKind, loss);
            if (raw.Count == 0) continue;
            var color = Palette.GetColor(i);
            var xs = raw.Select(p => (double)p.Step).ToArray();
            var faint = plot.Add.ScatterLine(xs, raw.Select(p => p.Value).ToArray(), color.WithAlpha(0.25));
            faint.LineWidth = 1;
            var smooth = plot.Add.ScatterLine(xs, run.SmoothedSeries(ReportData.TrainKind, loss, smoothing).Select(p => p.Value).ToArray(), color);
            smooth.LineWidth = 2;
            smooth.LegendText = run.Label;
            AddBranchMark(plot, run, color);
        }
        AddPhaseMarks(plot, data);
        plot.Title($"{loss} (smoothing {smoothing:0.##}; raw values faint)");
        Finish(plot, path, width, height);
    }

    static void AddBranchMark(Plot plot, ReportRun run, Color color)
    {
        if (!run.IsBranch) return;
        var v = plot.Add.VerticalLine(run.ParentStep!.Value, 1.5f, color, LinePattern.Dotted);
        // Labelled in the legend: a label on the line itself would cover the axis ticks or the title.
        v.LegendText = $"{run.Label} branches at {run.ParentStep}";
    }

    /// <summary>One densely dashed line per term start (<see cref="ReportRun.PhaseStarts"/>): in the run's colour when
    /// one run has it, grey and naming the runs when several share it.</summary>
    static void AddPhaseMarks(Plot plot, ReportData data)
    {
        foreach (var mark in PhaseMarks(data))
        {
            var color = mark.RunIndices.Count == 1 ? Palette.GetColor(mark.RunIndices[0]) : Colors.Gray;
            var v = plot.Add.VerticalLine(mark.Step, 1.5f, color, LinePattern.DenselyDashed);
            v.LegendText = mark.Legend;
        }
    }

    /// <summary>The term starts to mark, shared marks merged: legend text "GAN from 800", with the runs named when the
    /// report shows several.</summary>
    internal static IReadOnlyList<(long Step, string Legend, IReadOnlyList<int> RunIndices)> PhaseMarks(ReportData data) =>
        data.Runs.SelectMany((run, i) => run.PhaseStarts.Select(p => (p.Step, p.Term, Index: i)))
            .GroupBy(p => (p.Step, p.Term))
            .OrderBy(g => g.Key.Step)
            .Select(g =>
            {
                var indices = g.Select(p => p.Index).Distinct().ToList();
                var who = data.Runs.Count == 1 ? "" : $" ({string.Join(", ", indices.Select(i => data.Runs[i].Label))})";
                return (g.Key.Step, $"{g.Key.Term} from {g.Key.Step}{who}", (IReadOnlyList<int>)indices);
            })
            .ToList();

    static void Finish(Plot plot, string path, int width, int height)
    {
        plot.XLabel("step");
        plot.ShowLegend(Edge.Bottom);
        plot.SavePng(path, width, height);
    }
}
