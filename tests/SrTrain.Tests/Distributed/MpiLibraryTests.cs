using Serilog.Core;
using SrTrain.Config;
using SrTrain.Distributed;
using SrTrain.Runtime;
using SrTrain.Tests.Support;
using static TorchSharp.torch;

namespace SrTrain.Tests.Distributed;

/// <summary>The bindings without a launcher (the collective calls themselves are tested under mpirun in
/// <see cref="MpiJobTests"/>).</summary>
[Trait("Speed", "process")]
public class MpiLibraryTests
{
    [UnixFact("Open MPI (the message names its Debian package)")]
    public void AMissingMpiLibrary_IsOneLine_SayingWhatToInstall()
    {
        var e = Assert.Throws<SrTrainException>(() => MpiLibrary.Load(new[] { "libmpi-not-here.so.40" }));
        Assert.Contains("libmpi-not-here.so.40", e.Message);
        Assert.Contains("apt-get install openmpi-bin", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [UnixFact("Open MPI's libmpi.so.40")]
    public void OpenMpi_IsRecognised_ByItsExportedHandles()
    {
        var mpi = MpiLibrary.Load(new[] { "libmpi.so.40" }); // installed by scripts/test.sh
        Assert.Equal(MpiFlavor.OpenMpi, mpi.Flavor);
        Assert.NotEqual(0, mpi.CommWorld);
        Assert.NotEqual(mpi.OpSum, mpi.OpMax);
        Assert.StartsWith("Open MPI v", mpi.LibraryVersion());
    }

    [Fact]
    public void AMissingNcclLibrary_GivesTheReason_AndAutoFallsBack()
    {
        Assert.Null(NcclLibrary.TryLoad(out var reason, new[] { "libnccl-not-here.so.2" }));
        Assert.Contains("libnccl-not-here.so.2 not found", reason);
        NativeRuntime.EnsureLoaded();
        // One process on the CPU: nothing to average, whatever the backend (except nccl, which needs GPUs).
        Assert.Same(NoGradientSync.Instance, GradientSyncFactory.Create(ProcessGroup.Single, CPU, DistributedBackend.Auto, Logger.None));
        Assert.Same(NoGradientSync.Instance, GradientSyncFactory.Create(ProcessGroup.Single, CPU, DistributedBackend.Mpi, Logger.None));
        var e = Assert.Throws<SrTrainException>(() => GradientSyncFactory.Create(ProcessGroup.Single, CPU, DistributedBackend.Nccl, Logger.None));
        Assert.Contains("distributed.backend: nccl", e.Message);
    }

    [Fact]
    public void OneProcess_NeedsNoMpi_AndItsCollectivesAreIdentities()
    {
        var g = ProcessGroup.Start(RankEnvironment.Single, Logger.None);
        Assert.Same(ProcessGroup.Single, g);
        Assert.Null(g.Mpi);
        var v = new[] { 1.5, -2 };
        g.SumInPlace(v);
        Assert.Equal(new[] { 1.5, -2 }, v);
        Assert.True(g.AnyRank(true));
        Assert.Equal("x", g.BroadcastText("x"));
    }
}
