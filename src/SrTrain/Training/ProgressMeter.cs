using System.Diagnostics;

namespace SrTrain.Training;

/// <summary>Steps per second over a moving window, and the time left. The first step after the start (or a resume)
/// and the first step of each phase carry one-off costs (threads, caches, building the discriminator) and only open
/// the window. Phases (GAN, perceptual, translational terms starting) cost differently per step: the time left is
/// summed phase by phase at each phase's own rate, and a phase that has not run yet is named rather than guessed
/// ("ETA ≥ 20s, + GAN phase from step 800 not timed yet").</summary>
public sealed class ProgressMeter
{
    const int WindowSteps = 50;
    readonly long _total;
    readonly SortedDictionary<long, string> _phases;
    readonly Func<double> _seconds;
    readonly Queue<(long Step, double Seconds)> _window = new();
    readonly Dictionary<long, double> _phaseRates = new();
    long _phase = -1;

    /// <param name="phaseStarts">Step (0-based index of the first step of the phase) → phase name.</param>
    /// <param name="clock">Seconds since some origin (tests); default a stopwatch.</param>
    public ProgressMeter(long start, long total, IReadOnlyDictionary<long, string>? phaseStarts = null, Func<double>? clock = null)
    {
        _total = total;
        _phases = new SortedDictionary<long, string>(phaseStarts?.ToDictionary(kv => kv.Key, kv => kv.Value) ?? new Dictionary<long, string>());
        if (clock is null)
        {
            var sw = Stopwatch.StartNew();
            _seconds = () => sw.Elapsed.TotalSeconds;
        }
        else _seconds = clock;
        _phase = PhaseOf(start);
    }

    /// <summary>The phase a 0-based step index belongs to: the latest phase start at or before it (-1: the first).</summary>
    long PhaseOf(long stepIndex)
    {
        long p = -1;
        foreach (var s in _phases.Keys)
            if (s <= stepIndex) p = s;
        return p;
    }

    /// <summary>Rates measured earlier (a resumed run's or a branch parent's metrics.jsonl: "train" records with
    /// it_per_s at step N), so a phase that ran before is not "not timed yet" after a resume. Each phase gets the median
    /// of its last few records; the current phase is still measured afresh.</summary>
    public void Seed(IEnumerable<(long Step, double ItersPerSecond)> history)
    {
        foreach (var group in history.Where(h => h.Step > 0 && double.IsFinite(h.ItersPerSecond) && h.ItersPerSecond > 0)
                     .GroupBy(h => PhaseOf(h.Step - 1)))
        {
            var last = group.OrderBy(h => h.Step).TakeLast(5).Select(h => h.ItersPerSecond).Order().ToList();
            _phaseRates[group.Key] = last[last.Count / 2];
        }
    }

    /// <summary>Step <paramref name="done"/> (count of steps done) has just finished.</summary>
    public void Tick(long done)
    {
        double now = _seconds();
        long phase = PhaseOf(done - 1);
        if (phase != _phase)
        {
            if (_window.Count >= 2) _phaseRates[_phase] = ItersPerSecond;
            _phase = phase;
            _window.Clear();
        }
        _window.Enqueue((done, now));
        while (_window.Count > WindowSteps + 1) _window.Dequeue();
    }

    public double ItersPerSecond
    {
        get
        {
            if (_window.Count < 2) return 0;
            var first = _window.Peek();
            var last = _window.Last();
            double dt = last.Seconds - first.Seconds;
            return dt > 0 ? (last.Step - first.Step) / dt : 0;
        }
    }

    public string Eta(long done)
    {
        double current = ItersPerSecond;
        if (current <= 0) return "?";
        double seconds = 0;
        var untimed = new List<string>();
        var bounds = _phases.Keys.Where(k => k > done).Append(_total).ToList();
        long from = done;
        foreach (var to in bounds)
        {
            if (to <= from) continue;
            long phase = PhaseOf(from);
            double rate = phase == _phase ? current : _phaseRates.GetValueOrDefault(phase);
            if (rate > 0) seconds += (Math.Min(to, _total) - from) / rate;
            else untimed.Add($"{_phases[phase]} phase from step {phase}");
            from = to;
            if (from >= _total) break;
        }
        var text = Format(TimeSpan.FromSeconds(Math.Round(seconds)));
        return untimed.Count == 0 ? text : $"≥{text} (+ {string.Join(", ", untimed)}, not timed yet)";
    }

    static string Format(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : $"{t.Minutes}m{t.Seconds:D2}s";
}
