using System.Text;
using Serilog;

namespace SrTrain.Distributed;

/// <summary>The processes of one training job: this process's rank, how many there are, and the few collective calls
/// the trainer needs besides gradient averaging (barrier, "did any rank …", sums for logging, one broadcast). A job of
/// one process (<see cref="Single"/>) loads no MPI library and every call is a no-op; so a plain `srtrain train`
/// behaves exactly as it did before data parallelism existed.</summary>
internal sealed class ProcessGroup : IDisposable
{
    static ProcessGroup? _active;

    bool _disposed;

    public static readonly ProcessGroup Single = new(null, 0, 1, 0, TimeSpan.Zero);

    public MpiLibrary? Mpi { get; }
    public int Rank { get; }
    public int Size { get; }
    /// <summary>The rank among the processes of this machine (picks the GPU).</summary>
    public int LocalRank { get; }
    public bool IsRoot => Rank == 0;
    public bool IsDistributed => Size > 1;
    /// <summary>How long <see cref="Barrier"/> waits for the other ranks before it aborts the job
    /// (distributed.barrier_timeout_minutes).</summary>
    public TimeSpan BarrierTimeout { get; set; }

    ProcessGroup(MpiLibrary? mpi, int rank, int size, int localRank, TimeSpan barrierTimeout)
    {
        Mpi = mpi;
        Rank = rank;
        Size = size;
        LocalRank = localRank;
        BarrierTimeout = barrierTimeout;
    }

    /// <summary>Joins the job the launcher started (MPI_Init_thread), or returns <see cref="Single"/> when there is no
    /// launcher or the job has one process.</summary>
    public static ProcessGroup Start(RankEnvironment env, ILogger log, TimeSpan? barrierTimeout = null)
    {
        if (!env.IsDistributed) return Single;
        var mpi = MpiLibrary.Load(MpiLibrary.CandidatesFor(env));
        int level = mpi.Init(MpiLibrary.ThreadSerialized);
        int rank = mpi.Rank(), size = mpi.Size();
        var group = new ProcessGroup(mpi, rank, size, env.LocalRank, barrierTimeout ?? TimeSpan.FromMinutes(60));
        _active = group;
        if (rank != env.Rank || size != env.Size)
            group.Fail($"{env.Launcher} says rank {env.Rank} of {env.Size} but MPI ({mpi.Path}) says rank {rank} of {size}: " +
                       "the library does not belong to the launcher (set SRTRAIN_MPI_LIBRARY to the " +
                       (OperatingSystem.IsWindows() ? "msmpi.dll of the mpiexec you use)" : "libmpi.so of the mpirun you use)"), log);
        if (level < MpiLibrary.ThreadFunneled)
            log.Warning("MPI granted thread level {Level} (SrTrain asks for SERIALIZED and makes every MPI call from one thread)", level);
        if (group.IsRoot)
            log.Information("Data parallel: {Size} processes via {Launcher}, {Flavor} {Version} ({Path})", size, env.Launcher, mpi.Flavor,
                mpi.LibraryVersion(), mpi.Path);
        return group;
    }

    /// <summary>Waits until every rank is here. Waiting sleeps (ranks waiting for rank 0 leave it the cores). A rank
    /// that does not arrive within the timeout (a hung process the launcher cannot see) aborts the job.</summary>
    public void Barrier(string what)
    {
        if (Mpi is null) return;
        if (!Mpi.Barrier(BarrierTimeout))
            Fail($"rank {Rank}: waited {BarrierTimeout.TotalMinutes:F0} min for the other ranks at '{what}'; a rank hangs, aborting the job", null);
    }

    /// <summary>True on every rank when <paramref name="here"/> is true on any rank.</summary>
    public unsafe bool AnyRank(bool here)
    {
        if (Mpi is null) return here;
        double v = here ? 1 : 0;
        Mpi.AllreduceInPlace(&v, 1, Mpi.Double, Mpi.OpMax);
        return v != 0;
    }

    /// <summary>Element-wise sum over ranks, in place (logging means, checksums).</summary>
    public unsafe void SumInPlace(double[] values)
    {
        if (Mpi is null || values.Length == 0) return;
        fixed (double* p = values) Mpi.AllreduceInPlace(p, values.Length, Mpi.Double, Mpi.OpSum);
    }

    /// <summary>Element-wise maximum over ranks, in place.</summary>
    public unsafe void MaxInPlace(double[] values)
    {
        if (Mpi is null || values.Length == 0) return;
        fixed (double* p = values) Mpi.AllreduceInPlace(p, values.Length, Mpi.Double, Mpi.OpMax);
    }

    /// <summary>Rank 0's <paramref name="text"/> on every rank (the others pass null).</summary>
    public unsafe string BroadcastText(string? text)
    {
        if (Mpi is null) return text ?? "";
        // Non-root ranks usually wait here while rank 0 prepares the run: wait asleep first.
        Barrier("start-up");
        var bytes = IsRoot ? Encoding.UTF8.GetBytes(text ?? "") : Array.Empty<byte>();
        int len = bytes.Length;
        Mpi.Bcast(&len, 4, Mpi.Byte, 0);
        if (!IsRoot) bytes = new byte[len];
        if (len > 0)
            fixed (byte* p = bytes) Mpi.Bcast(p, len, Mpi.Byte, 0);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Rank 0's bytes on every rank, in place (same length on all).</summary>
    public unsafe void Broadcast(byte[] bytes)
    {
        if (Mpi is null || bytes.Length == 0) return;
        fixed (byte* p = bytes) Mpi.Bcast(p, bytes.Length, Mpi.Byte, 0);
    }

    /// <summary>Logs <paramref name="message"/> and aborts every rank of the job (MPI_Abort, exit code 1).</summary>
    public void Fail(string message, ILogger? log)
    {
        (log ?? Log.Logger).Error("{Message}", message);
        Log.CloseAndFlush();
        Mpi?.Abort(1);
        throw new SrTrainException(message);
    }

    /// <summary>When this process is part of a job of several: stop all of them with <paramref name="exitCode"/>,
    /// so one rank's error (a user error at start-up, a crash) cannot leave the others waiting in a collective
    /// call. Does nothing in a single-process run.</summary>
    public static void AbortJobIfDistributed(int exitCode)
    {
        var g = _active;
        if (g is { Mpi: not null, _disposed: false } && !g.Mpi.Finalized) g.Mpi.Abort(exitCode);
    }

    /// <summary>MPI_Finalize for the job this process joined, if any (at the end of a command that succeeded).</summary>
    public static void FinishJob() => _active?.Dispose();

    public void Dispose()
    {
        if (Mpi is null || _disposed) return;
        _disposed = true;
        if (!Mpi.Finalized) Mpi.FinalizeMpi();
        if (ReferenceEquals(_active, this)) _active = null;
    }
}
