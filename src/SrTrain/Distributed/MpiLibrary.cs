using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace SrTrain.Distributed;

/// <summary>A thin binding of the few MPI calls data-parallel training needs, for Open MPI (libmpi.so.40), MPICH
/// (libmpi.so.12 / libmpich.so.12) and, on Windows, MS-MPI (msmpi.dll, MPICH's ABI), loaded at run time. NuGet's MPI.NET
/// binds only Windows' msmpi.dll. Each call's return code is checked, although MPI's default error handler
/// (MPI_ERRORS_ARE_FATAL) aborts the whole job on an error before it returns, which is what a training job wants.</summary>
internal sealed unsafe class MpiLibrary
{
    /// <summary>Tried in this order on Linux unless SRTRAIN_MPI_LIBRARY names a file.</summary>
    public static readonly string[] DefaultCandidates = { "libmpi.so.40", "libmpi.so.12", "libmpich.so.12", "libmpi.so" };

    /// <summary>On Windows: MS-MPI, whose mpiexec sets PMI_RANK and PMI_SIZE like MPICH's Hydra.</summary>
    public static readonly string[] WindowsCandidates = { "msmpi.dll" };

    public const string LibraryVariable = "SRTRAIN_MPI_LIBRARY";

    /// <summary>The libraries to try for the launcher that started the job.</summary>
    public static IReadOnlyList<string> CandidatesFor(RankEnvironment env) =>
        CandidatesFor(env.Launcher, OperatingSystem.IsWindows(), Environment.GetEnvironmentVariable(LibraryVariable));

    /// <summary>SRTRAIN_MPI_LIBRARY (<paramref name="chosen"/>) when set; else MS-MPI on Windows; else the launcher's
    /// own MPI first (Open MPI's mpirun sets OMPI_*, MPICH's Hydra PMI_*), so a machine with both installed loads the
    /// one that matches.</summary>
    public static IReadOnlyList<string> CandidatesFor(string launcher, bool windows, string? chosen)
    {
        if (!string.IsNullOrWhiteSpace(chosen)) return new[] { chosen };
        if (windows) return WindowsCandidates;
        return launcher.StartsWith("PMI", StringComparison.Ordinal)
            ? new[] { "libmpich.so.12", "libmpi.so.12", "libmpi.so.40", "libmpi.so" }
            : DefaultCandidates;
    }

    public const int ThreadFunneled = 1, ThreadSerialized = 2;

    readonly nint _inPlace;
    readonly nint _statusIgnore;
    readonly delegate* unmanaged<int*, byte***, int, int*, int> _initThread;
    readonly delegate* unmanaged<int*, int> _initialized;
    readonly delegate* unmanaged<int*, int> _finalized;
    readonly delegate* unmanaged<nint, int*, int> _commRank;
    readonly delegate* unmanaged<nint, int*, int> _commSize;
    readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> _allreduce;
    readonly delegate* unmanaged<void*, int, nint, int, nint, int> _bcast;
    readonly delegate* unmanaged<nint, void*, int> _ibarrier;
    readonly delegate* unmanaged<void*, int*, void*, int> _test;
    readonly delegate* unmanaged<int> _finalize;
    readonly delegate* unmanaged<nint, int, int> _abort;
    readonly delegate* unmanaged<byte*, int*, int> _libraryVersion;

    public string Path { get; }
    public MpiFlavor Flavor { get; }
    public nint CommWorld { get; }
    public nint Float { get; }
    public nint Double { get; }
    public nint Byte { get; }
    public nint OpSum { get; }
    public nint OpMax { get; }

    MpiLibrary(string path, nint lib)
    {
        Path = path;
        nint Need(string name) =>
            NativeLibrary.TryGetExport(lib, name, out var p) ? p
                : throw new SrTrainException($"{path}: has no {name}; it is not an MPI library SrTrain can use (Open MPI 4/5 or MPICH 3/4)");
        if (NativeLibrary.TryGetExport(lib, "ompi_mpi_comm_world", out var world))
        {
            Flavor = MpiFlavor.OpenMpi;
            CommWorld = world;
            Float = Need("ompi_mpi_float");
            Double = Need("ompi_mpi_double");
            Byte = Need("ompi_mpi_byte");
            OpSum = Need("ompi_mpi_op_sum");
            OpMax = Need("ompi_mpi_op_max");
            _inPlace = 1;        // mpi.h: ((void *) 1)
            _statusIgnore = 0;   // ((MPI_Status *) 0)
        }
        else
        {
            // MPICH's ABI (also Intel MPI, MVAPICH and MS-MPI, whose mpi.h has the same constants): the handles are
            // the constants of its mpi.h. MS-MPI's MPIAPI (__stdcall) is the one x64 calling convention.
            Flavor = MpiFlavor.Mpich;
            CommWorld = 0x44000000;
            Float = 0x4c00040a;
            Double = 0x4c00080b;
            Byte = 0x4c00010d;
            OpSum = 0x58000003;
            OpMax = 0x58000001;
            _inPlace = -1;       // (void *) -1
            _statusIgnore = 1;   // (MPI_Status *) 1
        }
        _initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Need("MPI_Init_thread");
        _initialized = (delegate* unmanaged<int*, int>)Need("MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)Need("MPI_Finalized");
        _commRank = (delegate* unmanaged<nint, int*, int>)Need("MPI_Comm_rank");
        _commSize = (delegate* unmanaged<nint, int*, int>)Need("MPI_Comm_size");
        _allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Need("MPI_Allreduce");
        _bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Need("MPI_Bcast");
        _ibarrier = (delegate* unmanaged<nint, void*, int>)Need("MPI_Ibarrier");
        _test = (delegate* unmanaged<void*, int*, void*, int>)Need("MPI_Test");
        _finalize = (delegate* unmanaged<int>)Need("MPI_Finalize");
        _abort = (delegate* unmanaged<nint, int, int>)Need("MPI_Abort");
        _libraryVersion = (delegate* unmanaged<byte*, int*, int>)Need("MPI_Get_library_version");
    }

    /// <summary>Loads the first of <paramref name="candidates"/> that loads (<see cref="CandidatesFor(RankEnvironment)"/>
    /// gives them for a launcher). Throws a one-line <see cref="SrTrainException"/> naming what was tried.</summary>
    public static MpiLibrary Load(IReadOnlyList<string> candidates)
    {
        bool windows = OperatingSystem.IsWindows();
        var errors = new List<string>();
        foreach (var name in candidates)
        {
            if (windows)
            {
                // No RTLD_GLOBAL question on Windows: msmpi.dll has no plugins that look for its symbols.
                if (NativeLibrary.TryLoad(name, out var dll)) return new MpiLibrary(name, dll);
                errors.Add($"{name} not found");
                continue;
            }
            // RTLD_GLOBAL: Open MPI's plugins (mca_*.so) resolve libmpi's symbols from the global namespace, as with
            // mpi4py; .NET's own NativeLibrary.Load opens libraries RTLD_LOCAL.
            nint lib = Dl.Open(name, Dl.RtldNow | Dl.RtldGlobal);
            if (lib != 0) return new MpiLibrary(name, lib);
            errors.Add(Dl.LastError() ?? name);
        }
        throw new SrTrainException(LoadFailure(windows, errors));
    }

    /// <summary>The one-line error when no candidate loaded (<paramref name="errors"/>: one per candidate).</summary>
    public static string LoadFailure(bool windows, IReadOnlyList<string> errors) => windows
        ? $"the job was started by an MPI launcher (PMI_RANK/PMI_SIZE are set, as MS-MPI's mpiexec does) but no MPI library could be loaded " +
          $"({string.Join("; ", errors)}); install MS-MPI (the Microsoft MPI redistributable, msmpisetup.exe), or set {LibraryVariable} " +
          "to the msmpi.dll of the mpiexec you launch with"
        : $"the job was started by an MPI launcher but no MPI library could be loaded ({string.Join("; ", errors)}); install Open MPI " +
          $"(Debian: apt-get install openmpi-bin libopenmpi-dev) or MPICH, or set {LibraryVariable} to the libmpi.so of the mpirun you launch with";

    public string LibraryVersion()
    {
        var buf = new byte[8192]; // ≥ MPI_MAX_LIBRARY_VERSION_STRING of both ABIs
        int len = 0;
        fixed (byte* p = buf) Check(_libraryVersion(p, &len), "MPI_Get_library_version");
        return Encoding.ASCII.GetString(buf, 0, Math.Clamp(len, 0, buf.Length)).Split('\n')[0].TrimEnd('\0', ' ', ',');
    }

    /// <summary>MPI_Init_thread unless already initialised; returns the thread level granted.</summary>
    public int Init(int required)
    {
        int flag = 0, provided = 0;
        Check(_initialized(&flag), "MPI_Initialized");
        if (flag != 0) return required;
        Check(_initThread(null, null, required, &provided), "MPI_Init_thread");
        return provided;
    }

    public int Rank()
    {
        int r = 0;
        Check(_commRank(CommWorld, &r), "MPI_Comm_rank");
        return r;
    }

    public int Size()
    {
        int s = 0;
        Check(_commSize(CommWorld, &s), "MPI_Comm_size");
        return s;
    }

    /// <summary>In-place MPI_Allreduce of <paramref name="count"/> elements of <paramref name="datatype"/> (MPI counts are
    /// ints: callers split larger buffers).</summary>
    public void AllreduceInPlace(void* buffer, int count, nint datatype, nint op) =>
        Check(_allreduce((void*)_inPlace, buffer, count, datatype, op, CommWorld), "MPI_Allreduce");

    /// <summary>In-place sum of <paramref name="count"/> floats over the ranks, in pieces of at most 2^30 elements (a
    /// gradient buffer may pass MPI's int count).</summary>
    public void SumFloatsInPlace(float* buffer, long count)
    {
        const long MaxChunk = 1L << 30;
        for (long offset = 0; offset < count; offset += MaxChunk)
            AllreduceInPlace(buffer + offset, (int)Math.Min(MaxChunk, count - offset), Float, OpSum);
    }

    public void Bcast(void* buffer, int count, nint datatype, int root) =>
        Check(_bcast(buffer, count, datatype, root, CommWorld), "MPI_Bcast");

    /// <summary>A barrier that sleeps while it waits (MPI_Ibarrier + MPI_Test), so ranks waiting for rank 0's
    /// validation or checkpoint leave the cores to it; a blocking MPI_Barrier spins. Returns false after
    /// <paramref name="timeout"/>.</summary>
    public bool Barrier(TimeSpan timeout)
    {
        long request = 0; // MPI_Request: a pointer in Open MPI, an int in MPICH; 8 zeroed bytes hold either
        Check(_ibarrier(CommWorld, &request), "MPI_Ibarrier");
        var clock = Stopwatch.StartNew();
        int done = 0, spins = 0;
        while (true)
        {
            Check(_test(&request, &done, (void*)_statusIgnore), "MPI_Test");
            if (done != 0) return true;
            if (clock.Elapsed > timeout) return false;
            if (++spins > 100) Thread.Sleep(1);
        }
    }

    public bool Finalized
    {
        get
        {
            int f = 0;
            _finalized(&f);
            return f != 0;
        }
    }

    public void FinalizeMpi() => Check(_finalize(), "MPI_Finalize");

    /// <summary>MPI_Abort on MPI_COMM_WORLD: the launcher stops every rank with this exit code. Does not return.</summary>
    public void Abort(int code) => _abort(CommWorld, code);

    static void Check(int rc, string call)
    {
        if (rc != 0) throw new InvalidOperationException($"{call} failed with MPI error code {rc}");
    }
}

/// <summary>The two MPI ABIs: Open MPI's handles are addresses of exported globals (ompi_mpi_comm_world, …); MPICH's
/// (and Intel MPI's, MVAPICH's, MS-MPI's) are integer constants fixed by its mpi.h.</summary>
internal enum MpiFlavor { OpenMpi, Mpich }
