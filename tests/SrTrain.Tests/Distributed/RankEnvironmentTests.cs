using SrTrain.Distributed;

namespace SrTrain.Tests.Distributed;

public class RankEnvironmentTests
{
    static Func<string, string?> Env(params (string Key, string Value)[] vars) =>
        k => vars.FirstOrDefault(v => v.Key == k).Value;

    [Fact]
    public void NoLauncher_IsOneProcess_WithoutMpi()
    {
        var e = RankEnvironment.Detect(Env());
        Assert.Equal(RankEnvironment.Single, e);
        Assert.False(e.IsDistributed);
    }

    [Fact]
    public void OpenMpi_PmiAndSlurm_AreRead_OpenMpiFirst()
    {
        Assert.Equal(new RankEnvironment(1, 4, 1, "mpirun (Open MPI)"),
            RankEnvironment.Detect(Env(("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "4"), ("OMPI_COMM_WORLD_LOCAL_RANK", "1"),
                ("SLURM_PROCID", "0"), ("SLURM_NTASKS", "1"))));
        Assert.Equal(new RankEnvironment(2, 3, 0, "PMI (MPICH Hydra, MS-MPI)"), RankEnvironment.Detect(Env(("PMI_RANK", "2"), ("PMI_SIZE", "3"))));
        Assert.Equal(new RankEnvironment(5, 8, 1, "Slurm srun"),
            RankEnvironment.Detect(Env(("SLURM_PROCID", "5"), ("SLURM_NTASKS", "8"), ("SLURM_LOCALID", "1"))));
        // A Slurm batch script running srtrain directly is a job of one task: no MPI.
        Assert.False(RankEnvironment.Detect(Env(("SLURM_PROCID", "0"), ("SLURM_NTASKS", "1"))).IsDistributed);
    }

    [Fact]
    public void ARankOutsideTheSize_IsAnError_NamingTheVariables()
    {
        var e = Assert.Throws<SrTrainException>(() => RankEnvironment.Detect(Env(("PMI_RANK", "3"), ("PMI_SIZE", "2"))));
        Assert.Contains("PMI_RANK=3", e.Message);
    }
}
