using System.Globalization;
using System.Text;
using Serilog;
using Serilog.Core;
using static TorchSharp.torch;

namespace SrTrain.Reporting;

/// <summary>`srtrain report`: compares runs in a folder of PNG plots (validation metrics, smoothed training losses),
/// an image grid of the runs' outputs and a markdown summary, report.md, that ties them together.</summary>
internal static class RunReport
{
    public const string MarkdownName = "report.md";
    public const string GridName = "grid.png";

    /// <summary>Whether SkiaSharp finds any font to draw text with (on Linux it scans /usr/share/fonts; without one,
    /// ScottPlot draws the plots with no text at all).</summary>
    public static bool HasFonts => SkiaSharp.SKTypeface.Default.GlyphCount > 0;

    public static string ValidationPlotName(string metric) => $"val_{metric}.png";
    public static string LossPlotName(string loss) => $"train_{loss}.png";

    public static ReportResult Write(IReadOnlyList<string> runDirs, string outDir, Device device, ReportOptions? options = null, ILogger? log = null)
    {
        var o = options ?? new ReportOptions();
        var logger = log ?? Logger.None;
        if (o.Smoothing is < 0 or >= 1) throw new SrTrainException($"--smoothing {o.Smoothing}: must be in [0, 1)");
        var data = ReportData.Load(runDirs);
        Directory.CreateDirectory(outDir);
        if (!HasFonts)
            logger.Warning("No fonts found (SkiaSharp looks under /usr/share/fonts): the plots and the grid will have no text. " +
                           "Install one, e.g. `apt-get install -y fonts-dejavu-core`");

        var valPlots = new List<string>();
        foreach (var metric in data.ValMetrics)
        {
            var path = Path.Combine(outDir, ValidationPlotName(metric));
            MetricPlots.WriteValidationPlot(data, metric, path, o.PlotWidth, o.PlotHeight);
            valPlots.Add(path);
        }
        var lossPlots = new List<string>();
        foreach (var loss in data.Losses)
        {
            var path = Path.Combine(outDir, LossPlotName(loss));
            MetricPlots.WriteLossPlot(data, loss, o.Smoothing, path, o.PlotWidth, o.PlotHeight);
            lossPlots.Add(path);
        }
        var grid = ComparisonGrid.Write(data, Path.Combine(outDir, GridName), o.GridImages, o.GridCropLq, device, logger);
        var md = Path.Combine(outDir, MarkdownName);
        File.WriteAllText(md, Markdown(data, grid, o));
        logger.Information("Report of {Count} run(s) written to {Md} ({Plots} plots{Grid})", data.Runs.Count, md,
            valPlots.Count + lossPlots.Count, grid.Path != null ? " and the image grid" : "");
        return new ReportResult(outDir, md, valPlots, lossPlots, grid, data);
    }

    /// <summary>report.md: the runs, a table per validation metric (final and best of each run, the differences to
    /// the first run, the bicubic baseline) under its plot, the loss plots and the image grid. Links are relative,
    /// so the folder can be moved as a whole.</summary>
    public static string Markdown(ReportData data, GridResult grid, ReportOptions options)
    {
        var sb = new StringBuilder();
        var first = data.Runs[0].Label;
        sb.AppendLine("# Training report").AppendLine();
        var progress = data.Runs.Select(RunProgress.Of).ToList();
        sb.AppendLine("| run | folder | branched from | at step | terms joining | last step / train.total_steps |").AppendLine("| --- | --- | --- | --- | --- | --- |");
        for (int i = 0; i < data.Runs.Count; i++)
        {
            var r = data.Runs[i];
            var p = progress[i];
            sb.AppendLine($"| {Cell(r.Label)} | {Cell(Shown(r.Dir))} | {(r.IsBranch ? Cell(Shown(r.ParentDir!)) : "—")} | " +
                          $"{(r.IsBranch ? r.ParentStep!.Value.ToString(CultureInfo.InvariantCulture) : "—")} | " +
                          $"{(r.PhaseStarts.Count == 0 ? "—" : string.Join(", ", r.PhaseStarts.Select(t => $"{t.Term} from {t.Step}")))} | " +
                          $"{p.LastStep?.ToString(CultureInfo.InvariantCulture) ?? "—"} / {p.TotalSteps?.ToString(CultureInfo.InvariantCulture) ?? "?"}" +
                          $"{(p.StoppedEarly ? " **stopped early**" : "")} |");
        }
        sb.AppendLine();
        foreach (var w in RunProgress.Warnings(data.Runs, progress)) sb.AppendLine($"> **Note:** {w}").AppendLine();

        sb.AppendLine("## Validation metrics").AppendLine();
        sb.AppendLine($"Final = newest validation, best = the run's own best (step in brackets). Δ = the run minus {Cell(first)}, the first run given. " +
                      "A branch's curve starts at its parent's value at the branch step (dotted line); a densely dashed line marks " +
                      "where a term (GAN, perceptual, translational) joins inside a run.").AppendLine();
        foreach (var metric in data.ValMetrics)
        {
            sb.AppendLine($"### {metric} ({(ReportData.HigherIsBetter(metric) ? "higher" : "lower")} is better)").AppendLine();
            sb.AppendLine($"![{metric}]({ValidationPlotName(metric)})").AppendLine();
            sb.AppendLine($"| run | final | best | Δ final vs {Cell(first)} | Δ best vs {Cell(first)} |").AppendLine("| --- | --- | --- | --- | --- |");
            foreach (var s in data.Summaries(metric))
                sb.AppendLine($"| {Cell(s.Run)} | {Num(metric, s.Final.Value)} ({s.Final.Step}) | {Num(metric, s.Best.Value)} ({s.Best.Step}) | " +
                              $"{Delta(metric, s.DeltaFinal)} | {Delta(metric, s.DeltaBest)} |");
            var baselines = data.Baselines(metric);
            foreach (var (value, runs) in baselines)
                sb.AppendLine($"| bicubic{(baselines.Count > 1 ? $" ({Cell(string.Join(", ", runs))})" : "")} | {Num(metric, value)} | | | |");
            sb.AppendLine();
        }

        if (data.Losses.Count > 0)
        {
            sb.AppendLine("## Training losses").AppendLine();
            sb.AppendLine($"Smoothed with a moving average of weight {options.Smoothing.ToString("0.##", CultureInfo.InvariantCulture)} (raw values faint).").AppendLine();
            foreach (var loss in data.Losses)
                sb.AppendLine($"![{loss}]({LossPlotName(loss)})").AppendLine();
        }

        sb.AppendLine("## Outputs").AppendLine();
        if (grid.Path != null)
        {
            sb.AppendLine($"Center crops of the validation images ({options.GridCropLq} LQ pixels at most), each run at its latest checkpoint (EMA generator).").AppendLine();
            sb.AppendLine($"![outputs]({Path.GetFileName(grid.Path)})").AppendLine();
            sb.AppendLine($"Columns, left to right: {string.Join(", ", grid.Columns.Select(Cell))}. Rows, top to bottom: {string.Join(", ", grid.Rows.Select(Cell))}.");
            sb.AppendLine();
        }
        foreach (var note in grid.Notes)
            sb.AppendLine($"- Not in the grid: {Cell(note)}");
        return sb.ToString();
    }

    static string Num(string metric, double v) => Evaluation.MetricFormat.Format(metric, v);

    static string Delta(string metric, double? d) => d == null ? "—" : (d.Value >= 0 ? "+" : "") + Num(metric, d.Value);

    /// <summary>A run folder as the reader knows it: relative to the working directory when it lies inside it, so a
    /// report committed to a repository does not carry one machine's absolute paths.</summary>
    static string Shown(string dir)
    {
        var rel = Path.GetRelativePath(Environment.CurrentDirectory, dir);
        return rel.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(rel) ? dir : rel;
    }

    static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");
}

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

/// <summary>The files a report wrote, and the data they were drawn from.</summary>
internal sealed record ReportResult(string OutDir, string MarkdownPath, IReadOnlyList<string> ValidationPlots,
    IReadOnlyList<string> LossPlots, GridResult Grid, ReportData Data);
