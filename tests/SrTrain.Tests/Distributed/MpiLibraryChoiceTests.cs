using SrTrain.Distributed;

namespace SrTrain.Tests.Distributed;

/// <summary>Which MPI library a job loads, as a function of the system, the launcher and SRTRAIN_MPI_LIBRARY, and what a
/// user is told when there is none (the loading itself is tested in <see cref="MpiLibraryTests"/>).</summary>
public class MpiLibraryChoiceTests
{
    const string Hydra = "PMI (MPICH Hydra, MS-MPI)";

    [Fact]
    public void Windows_LoadsMsMpi_WhateverTheLauncherVariablesSay()
    {
        // MS-MPI's mpiexec sets PMI_RANK/PMI_SIZE like Hydra; the Linux names (libmpich.so.12, …) cannot load there.
        Assert.Equal(new[] { "msmpi.dll" }, MpiLibrary.CandidatesFor(Hydra, windows: true, chosen: null));
        Assert.Equal(new[] { "msmpi.dll" }, MpiLibrary.CandidatesFor("mpirun (Open MPI)", windows: true, chosen: ""));
    }

    [Fact]
    public void Linux_TriesTheLaunchersOwnMpiFirst()
    {
        Assert.Equal("libmpich.so.12", MpiLibrary.CandidatesFor(Hydra, windows: false, chosen: null)[0]);
        Assert.Equal(MpiLibrary.DefaultCandidates, MpiLibrary.CandidatesFor("mpirun (Open MPI)", windows: false, chosen: null));
        Assert.DoesNotContain("msmpi.dll", MpiLibrary.CandidatesFor(Hydra, windows: false, chosen: null));
    }

    [Fact]
    public void TheVariable_NamesTheOnlyLibraryTried_OnBothSystems()
    {
        Assert.Equal(new[] { @"C:\Program Files\Microsoft MPI\Bin\msmpi.dll" },
            MpiLibrary.CandidatesFor(Hydra, windows: true, chosen: @"C:\Program Files\Microsoft MPI\Bin\msmpi.dll"));
        Assert.Equal(new[] { "/opt/mpi/lib/libmpi.so" }, MpiLibrary.CandidatesFor("mpirun (Open MPI)", windows: false, chosen: "/opt/mpi/lib/libmpi.so"));
    }

    [Fact]
    public void NoMpiOnWindows_IsOneLine_NamingMsMpiAndTheVariable()
    {
        var message = MpiLibrary.LoadFailure(windows: true, new[] { "msmpi.dll not found" });
        Assert.Contains("msmpi.dll not found", message);
        Assert.Contains("install MS-MPI", message);
        Assert.Contains("SRTRAIN_MPI_LIBRARY", message);
        Assert.DoesNotContain("apt-get", message);
        Assert.DoesNotContain('\n', message);
        Assert.Contains("apt-get install openmpi-bin", MpiLibrary.LoadFailure(windows: false, new[] { "libmpi.so.40: cannot open" }));
    }

    [Fact]
    public void MsMpisLocalRank_PicksTheGpu_LikeHydras()
    {
        static Func<string, string?> Env(params (string Key, string Value)[] vars) => k => vars.FirstOrDefault(v => v.Key == k).Value;
        Assert.Equal(new RankEnvironment(3, 4, 1, Hydra),
            RankEnvironment.Detect(Env(("PMI_RANK", "3"), ("PMI_SIZE", "4"), ("MSMPI_LOCALRANK", "1"))));
        Assert.Equal(2, RankEnvironment.Detect(Env(("PMI_RANK", "3"), ("PMI_SIZE", "4"), ("MPI_LOCALRANKID", "2"), ("MSMPI_LOCALRANK", "1"))).LocalRank);
    }
}
