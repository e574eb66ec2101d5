namespace SrTrain.Distributed;

/// <summary>Which process of a launched job this is, as the launcher's environment says: Open MPI's mpirun
/// (OMPI_COMM_WORLD_*), MPICH's Hydra, MS-MPI's mpiexec and other PMI launchers (PMI_*), or Slurm's srun (SLURM_*).
/// Read before MPI is loaded, so a plain `srtrain train` (no launcher, or a job of one task) never needs an MPI
/// library.</summary>
internal sealed record RankEnvironment(int Rank, int Size, int LocalRank, string Launcher)
{
    public static readonly RankEnvironment Single = new(0, 1, 0, "none");

    public bool IsDistributed => Size > 1;

    public static RankEnvironment Detect() => Detect(Environment.GetEnvironmentVariable);

    /// <summary>The first launcher whose rank and size variables are both set wins; Open MPI before PMI before Slurm,
    /// because mpirun inside a Slurm allocation leaves the allocation's SLURM_* variables in place.</summary>
    public static RankEnvironment Detect(Func<string, string?> env)
    {
        var found = From(env, "mpirun (Open MPI)", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK")
                    ?? From(env, "PMI (MPICH Hydra, MS-MPI)", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MSMPI_LOCALRANK")
                    ?? From(env, "Slurm srun", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID");
        return found ?? Single;
    }

    /// <param name="localVars">The launcher's local-rank variables, the first one set wins (Hydra's MPI_LOCALRANKID,
    /// MS-MPI's MSMPI_LOCALRANK).</param>
    static RankEnvironment? From(Func<string, string?> env, string launcher, string rankVar, string sizeVar, params string[] localVars)
    {
        string? r = env(rankVar), s = env(sizeVar);
        if (string.IsNullOrEmpty(r) || string.IsNullOrEmpty(s)) return null;
        if (!int.TryParse(r, out int rank) || !int.TryParse(s, out int size) || size < 1 || rank < 0 || rank >= size)
            throw new SrTrainException($"{rankVar}={r} and {sizeVar}={s}: not a valid rank and size");
        var localText = localVars.Select(env).FirstOrDefault(v => !string.IsNullOrEmpty(v));
        int local = int.TryParse(localText, out int l) && l >= 0 ? l : 0;
        return new RankEnvironment(rank, size, local, launcher);
    }
}
