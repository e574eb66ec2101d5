using SrTrain.Config;
using SrTrain.Runs;

namespace SrTrain.Reporting;

/// <summary>A run folder as the report sees it: its metrics, its lineage and, for a branch, the parent's metrics (read
/// from the parent folder even when the parent is not among the reported runs, so the branch's curve can start at
/// the parent's value).</summary>
internal sealed class ReportRun
{
    public ReportRun(string label, string dir, string? parentDir, long? parentStep,
        IReadOnlyList<MetricsLog.Record> records, IReadOnlyList<MetricsLog.Record> parentRecords)
    {
        _config = new(() => LoadConfig(dir));
        Label = label;
        Dir = dir;
        ParentDir = parentDir;
        ParentStep = parentStep;
        Records = records;
        ParentRecords = parentRecords;
    }

    /// <summary>The name shown in plots and tables: the folder name (with its parent folder when two reported runs
    /// share a folder name).</summary>
    public string Label { get; }
    /// <summary>Absolute run folder.</summary>
    public string Dir { get; }
    public string? ParentDir { get; }
    /// <summary>The step this run branched from its parent; null for a run trained from scratch.</summary>
    public long? ParentStep { get; }
    public IReadOnlyList<MetricsLog.Record> Records { get; }
    public IReadOnlyList<MetricsLog.Record> ParentRecords { get; }

    public bool IsBranch => ParentDir != null && ParentStep != null;

    readonly Lazy<(SrTrainConfig? Config, string? Error)> _config;

    /// <summary>The run's config.yml, read once for the whole report (progress, image grid). Null when the run has none
    /// (then <see cref="ConfigError"/> is null too) or when it does not load (<see cref="ConfigError"/> says why).</summary>
    public SrTrainConfig? Config => _config.Value.Config;

    public string? ConfigError => _config.Value.Error;

    static (SrTrainConfig?, string?) LoadConfig(string dir)
    {
        var path = new RunFolder(dir).ConfigPath;
        if (!File.Exists(path)) return (null, null);
        try { return (ConfigLoader.LoadFile(path), null); }
        catch (SrTrainException e) { return (null, e.Message); }
    }

    /// <summary>Where a term joins inside this run (from its config.yml): GAN, perceptual or translational, each with
    /// its start step, ascending. A start at or before the run's first step (0, or a branch's parent step) is no change
    /// inside this run and is left out; a <c>--translational</c> branch's start is its branch line.</summary>
    public IReadOnlyList<(long Step, string Term)> PhaseStarts
    {
        get
        {
            var l = Config?.Losses;
            if (l is null) return [];
            long first = ParentStep ?? 0;
            var starts = new List<(long Step, string Term)>();
            void Add(double weight, long start, string term)
            {
                if (weight > 0 && start > first) starts.Add((start, term));
            }
            Add(l.Gan.Weight, l.Gan.StartStep, "GAN");
            Add(l.Perceptual.Weight, l.Perceptual.StartStep, "perceptual");
            Add(l.Translational.Weight, l.Translational.StartStep, "translational");
            return starts.OrderBy(s => s.Step).ToList();
        }
    }

    /// <summary>The run's own values of <paramref name="key"/> in records of <paramref name="kind"/>, in step order.
    /// A branch's series starts with the parent's value at the branch step (when the parent logged one there), since
    /// the branch's weights at that step are the parent's.</summary>
    public IReadOnlyList<SeriesPoint> Series(string kind, string key)
    {
        var own = OwnSeries(kind, key);
        if (!IsBranch) return own;
        long from = ParentStep!.Value;
        if (own.Count > 0 && own[0].Step <= from) return own;
        var start = ParentRecords.FirstOrDefault(r => r.Kind == kind && r.Step == from);
        if (start == null || !start.Values.TryGetValue(key, out var v) || !double.IsFinite(v)) return own;
        return own.Prepend(new SeriesPoint(from, v)).ToList();
    }

    /// <summary><see cref="Series"/> smoothed by <see cref="ReportData.Smooth"/>. A branch's average carries on from
    /// its parent's history up to the branch step, so the smoothed curve continues the parent's instead of restarting.</summary>
    public IReadOnlyList<SeriesPoint> SmoothedSeries(string kind, string key, double weight)
    {
        var series = Series(kind, key);
        if (!IsBranch || series.Count == 0) return ReportData.Smooth(series, weight);
        long from = series[0].Step;
        var history = ParentRecords
            .Where(r => r.Kind == kind && r.Step < from && r.Values.TryGetValue(key, out var v) && double.IsFinite(v))
            .Select(r => new SeriesPoint(r.Step, r.Values[key]));
        return ReportData.Smooth(history.Concat(series).ToList(), weight).Where(p => p.Step >= from).ToList();
    }

    /// <summary>Only what this run logged itself (no parent point): the basis of its final and best values.</summary>
    public IReadOnlyList<SeriesPoint> OwnSeries(string kind, string key) =>
        Records.Where(r => r.Kind == kind && r.Values.TryGetValue(key, out var v) && double.IsFinite(v))
            .Select(r => new SeriesPoint(r.Step, r.Values[key]))
            .ToList();

    /// <summary>The bicubic baseline the run logged (its newest "val_bicubic" record), or null.</summary>
    public IReadOnlyDictionary<string, double>? Bicubic =>
        Records.LastOrDefault(r => r.Kind == ReportData.BicubicKind)?.Values;
}

/// <summary>One point of a plotted curve.</summary>
internal readonly record struct SeriesPoint(long Step, double Value);
