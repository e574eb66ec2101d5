using SrTrain.Runs;

namespace SrTrain.Reporting;

/// <summary>Everything the report draws and tabulates, read from the runs' metrics.jsonl files. The plots are drawn
/// from exactly these series, so a test can compare them with the files.</summary>
internal sealed class ReportData
{
    public const string ValKind = "val";
    public const string BicubicKind = "val_bicubic";
    public const string TrainKind = "train";

    /// <summary>Validation metrics in the order the report shows them.</summary>
    public static readonly IReadOnlyList<string> ValMetricOrder = ["psnr_y", "ssim_y", "vgg_dist", "shift_err", "shift_err_interior", "phase_err", "psnr_rgb", "ssim_rgb"];
    /// <summary>Training losses in the order the report shows them.</summary>
    public static readonly IReadOnlyList<string> LossOrder = ["l_g_pix", "l_g_gan", "l_g_trans", "l_g_percep", "l_d", "l_g_total"];

    ReportData(IReadOnlyList<ReportRun> runs)
    {
        Runs = runs;
        ValMetrics = ValMetricOrder.Where(m => runs.Any(r => r.OwnSeries(ValKind, m).Count > 0)).ToList();
        Losses = LossOrder.Where(l => runs.Any(r => r.OwnSeries(TrainKind, l).Count > 0)).ToList();
    }

    /// <summary>The runs in the order given; the first is the one the others are compared with.</summary>
    public IReadOnlyList<ReportRun> Runs { get; }
    /// <summary>The validation metrics at least one run logged.</summary>
    public IReadOnlyList<string> ValMetrics { get; }
    /// <summary>The training losses at least one run logged.</summary>
    public IReadOnlyList<string> Losses { get; }

    /// <summary>Higher is better for PSNR and SSIM; lower for the distances and errors.</summary>
    public static bool HigherIsBetter(string metric) => metric.StartsWith("psnr", StringComparison.Ordinal) || metric.StartsWith("ssim", StringComparison.Ordinal);

    /// <summary>Reads the run folders. <paramref name="runDirs"/> are shown in messages as given.</summary>
    /// <exception cref="SrTrainException">A folder is not a run folder, or has no validation metrics yet.</exception>
    public static ReportData Load(IReadOnlyList<string> runDirs)
    {
        if (runDirs.Count == 0) throw new SrTrainException("report: give at least one run folder (runs/<name>)");
        var full = runDirs.Select(d => Path.GetFullPath(d).TrimEnd(Path.DirectorySeparatorChar)).ToList();
        var names = full.Select(Path.GetFileName).ToList();
        var runs = new List<ReportRun>();
        for (int i = 0; i < runDirs.Count; i++)
        {
            var given = runDirs[i].TrimEnd('/', Path.DirectorySeparatorChar);
            var folder = new RunFolder(full[i]);
            if (!Directory.Exists(folder.Dir))
                throw new SrTrainException($"{given}: no such folder; give a run folder such as runs/<name>");
            if (!File.Exists(folder.ConfigPath) && !File.Exists(Path.Combine(folder.Dir, MetricsLog.FileName)))
                throw new SrTrainException($"{given}: not a run folder (no config.yml or {MetricsLog.FileName}); give a run folder such as runs/<name>");
            var records = MetricsLog.Read(folder.Dir);
            if (!records.Any(r => r.Kind == ValKind))
                throw new SrTrainException($"{given} has no validation metrics yet ({MetricsLog.FileName} has no \"val\" lines); train past val.val_freq first");
            var lineage = folder.ReadLineage();
            string? parentDir = lineage?.ParentRun;
            long? parentStep = lineage?.ParentStep;
            IReadOnlyList<MetricsLog.Record> parentRecords = [];
            if (parentDir != null)
            {
                // run.json keeps the parent's absolute path; a relative one is read from the branch's runs folder.
                if (!Path.IsPathRooted(parentDir)) parentDir = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(folder.Dir)!, parentDir));
                parentRecords = MetricsLog.Read(parentDir);
            }
            var label = names.Count(n => n == names[i]) > 1
                ? $"{Path.GetFileName(Path.GetDirectoryName(full[i]))}/{names[i]}"
                : names[i]!;
            runs.Add(new ReportRun(label, folder.Dir, parentDir, parentStep, records, parentRecords));
        }
        return new ReportData(runs);
    }

    /// <summary>Final (newest step) and best value of <paramref name="metric"/> for each run that logged it, from the
    /// run's own validations; differences are to the first run (null for the first run, or when it lacks the metric).</summary>
    public IReadOnlyList<MetricSummary> Summaries(string metric)
    {
        bool higher = HigherIsBetter(metric);
        var list = new List<MetricSummary>();
        (SeriesPoint Final, SeriesPoint Best)? reference = null;
        for (int i = 0; i < Runs.Count; i++)
        {
            var s = Runs[i].OwnSeries(ValKind, metric);
            if (s.Count == 0) continue;
            var final = s[^1];
            var best = s.Aggregate((a, b) => (higher ? b.Value > a.Value : b.Value < a.Value) ? b : a);
            if (i == 0) reference = (final, best);
            list.Add(new MetricSummary(Runs[i].Label, metric, final, best,
                i > 0 && reference != null ? final.Value - reference.Value.Final.Value : null,
                i > 0 && reference != null ? best.Value - reference.Value.Best.Value : null));
        }
        return list;
    }

    /// <summary>The distinct bicubic baselines of <paramref name="metric"/> (runs validated on the same images share
    /// one), each with the runs it belongs to.</summary>
    public IReadOnlyList<(double Value, IReadOnlyList<string> Runs)> Baselines(string metric)
    {
        var result = new List<(double Value, List<string> Runs)>();
        foreach (var run in Runs)
        {
            if (run.Bicubic == null || !run.Bicubic.TryGetValue(metric, out var v) || !double.IsFinite(v)) continue;
            int k = result.FindIndex(b => Math.Abs(b.Value - v) <= 1e-9 * Math.Max(1, Math.Abs(v)));
            if (k < 0) result.Add((v, [run.Label]));
            else result[k].Runs.Add(run.Label);
        }
        return result.Select(b => (b.Value, (IReadOnlyList<string>)b.Runs)).ToList();
    }

    /// <summary>TensorBoard's scalar smoothing: an exponential moving average with the start-up bias removed
    /// (divided by 1 - weight^n), so the first points are not pulled towards zero. Non-finite values pass through
    /// unchanged and do not enter the average.</summary>
    public static IReadOnlyList<SeriesPoint> Smooth(IReadOnlyList<SeriesPoint> points, double weight)
    {
        if (weight is < 0 or >= 1) throw new SrTrainException($"smoothing {weight}: must be in [0, 1)");
        var result = new List<SeriesPoint>(points.Count);
        double last = 0, debias = 0;
        foreach (var p in points)
        {
            if (!double.IsFinite(p.Value))
            {
                result.Add(p);
                continue;
            }
            last = last * weight + (1 - weight) * p.Value;
            debias = debias * weight + (1 - weight);
            result.Add(new SeriesPoint(p.Step, last / debias));
        }
        return result;
    }
}

/// <summary>Final and best value of one validation metric of one run, and their differences to the first run.</summary>
internal sealed record MetricSummary(string Run, string Metric, SeriesPoint Final, SeriesPoint Best, double? DeltaFinal, double? DeltaBest);
