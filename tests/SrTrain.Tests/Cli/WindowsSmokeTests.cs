using SrTrain.Tests.Support;

namespace SrTrain.Tests.Cli;

/// <summary>Issue 21: the win-x64 build, run as a Windows user would under Debian's wine64 (scripts/wine-smoke.sh,
/// which runs scripts/windows-smoke.ps1, the Windows workflow's own smoke). Wine reproduces what Linux can't: sharing
/// modes (resume on a metrics log the run holds open), case-blind names, GetFinalPathNameByHandle, DLL names and MSVC
/// symbols. Marked slow (about 3–5 minutes): `scripts/test.sh --fast` skips it.</summary>
[Trait("Speed", "slow")]
public class WindowsSmokeTests
{
    /// <summary>The PowerShell smoke's steps and the wrapper's Linux comparisons; each must print PASS.</summary>
    static readonly string[] Checks =
    [
        "schema", "convert-config", "train", "resume-exact", "resume-continue", "translational", "upscale",
        "overwrite-case", "overwrite-link", "dataset-link-loop", "eval", "report-live", "bench-infer", "msmpi-env", "utf8",
        "resume-same-as-linux", "upscale-same-as-linux",
    ];

    [UnixFact("wine64 and bash (on Windows the workflow runs scripts/windows-smoke.ps1 natively)")]
    public void EveryCommand_WorksUnderWine_AsTheWindowsWorkflowRunsIt()
    {
        using var work = new TempDir("srtrain-wine");
        var script = Repo.File("scripts", "wine-smoke.sh");
        using var smoke = new CapturedProcess("wine-smoke.sh", work.Path, "bash", [script, work.File("w")]);
        int code = smoke.WaitForExit(TimeSpan.FromMinutes(25));
        var lines = smoke.Output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var missing = Checks.Where(c => !lines.Any(l => l == "PASS " + c || l.StartsWith("PASS " + c + " ", StringComparison.Ordinal))).ToList();
        Assert.True(missing.Count == 0 && code == 0,
            $"exit {code}; not passed: {string.Join(", ", missing)}\n{string.Join('\n', lines.TakeLast(80))}");
    }
}
