using System.Diagnostics;

namespace SrTrain.Training;

/// <summary>Steps per second and the time left. Phases (GAN, perceptual, translational terms starting) cost differently
/// per step, so the time left is summed phase by phase: the current phase at its rate over a moving window (the first
/// step after the start or a resume, and the first of each phase, carry one-off costs and only open the window), a
/// phase that ran before at the rate it ran at (also from a resumed run's or a parent's log), and a phase that has not
/// run yet at the current rate plus the extra seconds per step that a start-up probe measured for its terms
/// (<see cref="StepCostProbe"/>); then the ETA starts with "≈". A phase with no probe is named, not guessed
/// ("ETA ≥20s (+ perceptual phase from step 800, not timed yet)").
/// <para>The rate a log line shows is the plain average since the previous line (or the start): steps over wall-clock
/// seconds, first step and phase changes included, as a stopwatch would measure it.</para></summary>
internal sealed class ProgressMeter
{
    const int WindowSteps = 50;
    readonly long _total;
    readonly SortedDictionary<long, string> _phases;
    readonly IReadOnlyDictionary<long, double>? _probe;
    readonly Func<double> _seconds;
    readonly Queue<(long Step, double Seconds)> _window = new();
    readonly Dictionary<long, double> _phaseRates = new();
    long _phase = -1;
    (long Step, double Seconds) _lastReport;

    /// <param name="phaseStarts">Step (0-based index of the first step of the phase) → phase name.</param>
    /// <param name="clock">Seconds since some origin (tests); default a stopwatch started now.</param>
    /// <param name="probeSeconds">Phase (-1 for the first, else its start step) → seconds per step its networks' passes
    /// took in a start-up probe; only differences between phases are used. Phases missing here are "not timed yet"
    /// until they run.</param>
    public ProgressMeter(long start, long total, IReadOnlyDictionary<long, string>? phaseStarts = null, Func<double>? clock = null,
        IReadOnlyDictionary<long, double>? probeSeconds = null)
    {
        _total = total;
        _phases = new SortedDictionary<long, string>(phaseStarts?.ToDictionary(kv => kv.Key, kv => kv.Value) ?? new Dictionary<long, string>());
        _probe = probeSeconds;
        if (clock is null)
        {
            var sw = Stopwatch.StartNew();
            _seconds = () => sw.Elapsed.TotalSeconds;
        }
        else _seconds = clock;
        _phase = PhaseOf(start);
        _lastReport = (start, _seconds());
    }

    /// <summary>The phase a 0-based step index belongs to: the latest phase start at or before it (-1: the first).</summary>
    long PhaseOf(long stepIndex) => PhaseOf(_phases.Keys, stepIndex);

    static long PhaseOf(IEnumerable<long> starts, long stepIndex)
    {
        long p = -1;
        foreach (var s in starts)
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

    /// <summary>The steady rate of the current phase: steps per second over the moving window (0 until two steps).</summary>
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

    /// <summary>The average rate since the previous call (the first call: since the start), every step counted: what a
    /// log line at <paramref name="done"/> shows and metrics.jsonl records.</summary>
    public double RateSinceLastReport(long done)
    {
        double now = _seconds();
        var (step, seconds) = _lastReport;
        _lastReport = (done, now);
        return now > seconds && done > step ? (done - step) / (now - seconds) : 0;
    }

    public string Eta(long done)
    {
        double current = ItersPerSecond;
        if (current <= 0) return "?";
        var left = SecondsLeft(done, _total, _phases.Keys.ToList(), _phase, current, _phaseRates, _probe);
        var text = Format(TimeSpan.FromSeconds(Math.Round(left.Seconds)));
        if (left.Untimed.Count > 0)
            return $"≥{text} (+ {string.Join(", ", left.Untimed.Select(p => $"{_phases[p]} phase from step {p}"))}, not timed yet)";
        return left.Estimated ? "≈" + text : text;
    }

    /// <summary>The estimator, a pure function: seconds from <paramref name="done"/> steps to <paramref name="total"/>,
    /// phase by phase. <paramref name="currentPhase"/> runs at <paramref name="currentRate"/>; another phase at its
    /// <paramref name="measured"/> rate; one not measured yet at the current seconds per step plus the difference of the
    /// two phases' <paramref name="probe"/> seconds (Estimated), or, without a probe for both, it is left out and
    /// listed in Untimed.</summary>
    internal static (double Seconds, bool Estimated, IReadOnlyList<long> Untimed) SecondsLeft(long done, long total,
        IReadOnlyList<long> phaseStarts, long currentPhase, double currentRate, IReadOnlyDictionary<long, double> measured,
        IReadOnlyDictionary<long, double>? probe)
    {
        double seconds = 0;
        bool estimated = false;
        var untimed = new List<long>();
        var bounds = phaseStarts.Where(k => k > done).Order().Append(total).ToList();
        long from = done;
        foreach (var to in bounds)
        {
            if (to <= from) continue;
            long end = Math.Min(to, total);
            long phase = PhaseOf(phaseStarts, from);
            double secondsPerStep = 0;
            if (phase == currentPhase) secondsPerStep = 1 / currentRate;
            else if (measured.TryGetValue(phase, out var rate) && rate > 0) secondsPerStep = 1 / rate;
            else if (probe != null && probe.TryGetValue(phase, out var cost) && probe.TryGetValue(currentPhase, out var currentCost))
            {
                // The probe times the networks' passes only; what the current rate holds beyond them (data, optimizer,
                // logging) is the same in every phase, so the difference is added rather than the ratio applied.
                secondsPerStep = Math.Max(1 / currentRate + cost - currentCost, 1 / currentRate * 0.1);
                estimated = true;
            }
            if (secondsPerStep > 0) seconds += (end - from) * secondsPerStep;
            else untimed.Add(phase);
            from = to;
            if (from >= total) break;
        }
        return (seconds, estimated, untimed);
    }

    static string Format(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : $"{t.Minutes}m{t.Seconds:D2}s";
}
