namespace SrTrain.Reporting;

/// <summary>How far a run got: its last validation step, its last logged step and its train.total_steps. The report
/// marks a run that stopped early, and runs whose final values come from different steps, so an A/B is never read
/// off two runs that are not like for like.</summary>
internal sealed record RunProgress(long? LastStep, long? LastValStep, long? TotalSteps)
{
    public bool StoppedEarly => LastStep != null && TotalSteps != null && LastStep < TotalSteps;

    public static RunProgress Of(ReportRun run)
    {
        long? last = run.Records.Count > 0 ? run.Records.Max(r => r.Step) : null;
        var vals = run.Records.Where(r => r.Kind == ReportData.ValKind).ToList();
        long? lastVal = vals.Count > 0 ? vals.Max(r => r.Step) : null;
        return new RunProgress(last, lastVal, run.Config?.Train.TotalSteps);
    }

    public static IEnumerable<string> Warnings(IReadOnlyList<ReportRun> runs, IReadOnlyList<RunProgress> progress)
    {
        for (int i = 0; i < runs.Count; i++)
            if (progress[i].StoppedEarly)
                yield return $"{runs[i].Label} stopped early: its last step is {progress[i].LastStep} of {progress[i].TotalSteps} (train.total_steps).";
        var valSteps = progress.Select(p => p.LastValStep).Where(s => s != null).Distinct().ToList();
        if (valSteps.Count > 1)
            yield return "The runs are compared at different steps (final validation at " +
                         string.Join(", ", runs.Select((r, i) => $"{r.Label} {progress[i].LastValStep?.ToString() ?? "—"}")) +
                         "): final values and Δ are not like for like; compare the curves at one step.";
    }
}
