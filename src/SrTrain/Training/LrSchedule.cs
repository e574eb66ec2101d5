using SrTrain.Config;

namespace SrTrain.Training;

/// <summary>The learning rate as a pure function of the step, so a resumed run continues the schedule exactly with
/// no scheduler state to save (the usual resume bug of BasicSR-style trainers). Linear warm-up, then MultiStep
/// (BasicSR's MultiStepRestartLR without restarts) or cosine annealing to eta_min at total_steps.</summary>
internal sealed class LrSchedule
{
    readonly SchedulerConfig _c;
    readonly double _baseLr;
    readonly long _totalSteps;

    public LrSchedule(SchedulerConfig config, double baseLr, long totalSteps)
    {
        _c = config;
        _baseLr = baseLr;
        _totalSteps = totalSteps;
    }

    /// <summary>LR used for the update made at <paramref name="step"/> (0-based: the first update is step 0).</summary>
    public double At(long step)
    {
        double lr = _c.Type switch
        {
            SchedulerType.Constant => _baseLr,
            SchedulerType.MultiStep => _baseLr * Math.Pow(_c.Gamma, _c.Milestones.Count(m => step >= m)),
            SchedulerType.Cosine => _c.EtaMin + (_baseLr - _c.EtaMin) * (1 + Math.Cos(Math.PI * Math.Min(step, _totalSteps) / _totalSteps)) / 2,
            _ => throw new ArgumentOutOfRangeException(nameof(step)),
        };
        if (_c.WarmupSteps > 0 && step < _c.WarmupSteps)
            lr *= (step + 1) / (double)_c.WarmupSteps;
        return lr;
    }
}
