using Serilog;
using SrTrain.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Distributed;

/// <summary>Chooses how gradients are averaged: nothing to do in one process; NCCL on GPUs when it can be used (or
/// demanded by distributed.backend: nccl); otherwise MPI on host memory, with a log line saying why.</summary>
internal static class GradientSyncFactory
{
    public static IGradientSync Create(ProcessGroup group, Device device, DistributedBackend backend, ILogger log)
    {
        bool cuda = device.type == DeviceType.CUDA;
        if (!group.IsDistributed && backend != DistributedBackend.Nccl) return NoGradientSync.Instance;
        if (backend == DistributedBackend.Nccl && !cuda)
            throw new SrTrainException("distributed.backend: nccl averages gradients on GPUs; this run trains on the CPU (use --device cuda, or backend auto/mpi)");
        if (backend == DistributedBackend.Mpi)
            return Mpi(group, cuda, log, "distributed.backend: mpi");

        string reason = "";
        NcclLibrary? nccl = cuda ? NcclLibrary.TryLoad(out reason) : null;
        if (nccl != null && !CudaRuntime.TrySetDevice(device.index < 0 ? 0 : device.index, out var why)) { nccl = null; reason = why; }
        if (!cuda) reason = "training on the CPU";
        // Every rank must take the same path, or the collective calls would not match.
        bool everyone = !group.AnyRank(nccl is null);
        if (everyone && nccl != null)
        {
            if (group.IsRoot) log.Information("Gradients averaged with NCCL ({Path}) on the GPUs", nccl.Path);
            return new NcclGradientSync(nccl, group);
        }
        if (backend == DistributedBackend.Nccl)
            throw new SrTrainException($"distributed.backend: nccl, but NCCL cannot be used on rank {group.Rank}{(reason.Length > 0 ? ": " + reason : " (another rank could not load it)")}; " +
                                       "install NCCL (libnccl.so.2) or set distributed.backend: auto");
        if (!group.IsDistributed) return NoGradientSync.Instance;
        return Mpi(group, cuda, log, cuda ? $"NCCL not used ({(reason.Length > 0 ? reason : "not available on every rank")})" : "training on the CPU");
    }

    static IGradientSync Mpi(ProcessGroup group, bool cuda, ILogger log, string why)
    {
        if (group.Mpi is null) return NoGradientSync.Instance;
        if (group.IsRoot)
            log.Information("Gradients averaged with MPI_Allreduce on {Where} ({Why})", cuda ? "pinned host copies" : "host memory", why);
        return new MpiGradientSync(group);
    }
}
