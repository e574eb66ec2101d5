namespace SrTrain.Tests.Support;

/// <summary>Runs the real `srtrain` program under Open MPI's mpirun with N ranks (on this machine, oversubscribed as
/// needed). scripts/test.sh installs Open MPI; CI runs as root, which mpirun refuses unless told.</summary>
public sealed class MpiJob : IDisposable
{
    readonly CapturedProcess _p;

    /// <summary>A value only this job's ranks carry in their environment, to find their processes.</summary>
    public string Tag { get; } = Guid.NewGuid().ToString("N");

    public MpiJob(string workingDir, int ranks, params string[] args) =>
        _p = new CapturedProcess("mpirun", workingDir, Mpirun(),
            ["-np", ranks.ToString(), "--oversubscribe", "--bind-to", "none", CliProcess.Executable, .. args],
            new Dictionary<string, string>
            {
                ["OMPI_ALLOW_RUN_AS_ROOT"] = "1",
                ["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1",
                ["SRTRAIN_TEST_JOB"] = Tag,
            });

    public static string Mpirun()
    {
        foreach (var name in new[] { "mpirun.openmpi", "mpirun" })
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(Path.PathSeparator))
            {
                var path = Path.Combine(dir, name);
                if (File.Exists(path)) return path;
            }
        throw new InvalidOperationException("mpirun not found: install Open MPI (apt-get install openmpi-bin libopenmpi-dev; scripts/test.sh does)");
    }

    public string Output => _p.Output;

    public static (int ExitCode, string Output) Run(string workingDir, int ranks, params string[] args)
    {
        using var job = new MpiJob(workingDir, ranks, args);
        int code = job.WaitForExit(TimeSpan.FromMinutes(2));
        return (code, job.Output);
    }

    public int WaitForExit(TimeSpan timeout) => _p.WaitForExit(timeout);

    public bool HasExited => _p.HasExited;

    /// <summary>The pids of this job's rank processes, by rank (read from /proc/*/environ).</summary>
    public Dictionary<int, int> RankPids()
    {
        var pids = new Dictionary<int, int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            string env;
            try { env = File.ReadAllText(Path.Combine(dir, "environ")); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            var vars = env.Split('\0');
            if (!vars.Contains("SRTRAIN_TEST_JOB=" + Tag)) continue;
            var rank = vars.FirstOrDefault(v => v.StartsWith("OMPI_COMM_WORLD_RANK="));
            if (rank != null && File.ReadAllText(Path.Combine(dir, "comm")).Trim() != "mpirun")
                pids[int.Parse(rank["OMPI_COMM_WORLD_RANK=".Length..])] = pid;
        }
        return pids;
    }

    public void Dispose() => _p.Dispose();
}
