using System.Runtime.InteropServices;

namespace SrTrain.Distributed;

/// <summary>A thin binding of NCCL (libnccl.so.2): unique id, communicator init, all-reduce on device pointers.
/// Loaded at run time; <see cref="TryLoad"/> says why when it cannot be.</summary>
internal sealed unsafe class NcclLibrary
{
    public static readonly string[] DefaultCandidates = { "libnccl.so.2", "libnccl.so" };
    public const int UniqueIdBytes = 128; // NCCL_UNIQUE_ID_BYTES
    const int NcclFloat32 = 7, NcclSum = 0;

    [StructLayout(LayoutKind.Sequential, Size = UniqueIdBytes)]
    public struct UniqueId
    {
        public fixed byte Bytes[UniqueIdBytes];
    }

    readonly delegate* unmanaged<UniqueId*, int> _getUniqueId;
    readonly delegate* unmanaged<nint*, int, UniqueId, int, int> _commInitRank;
    readonly delegate* unmanaged<void*, void*, nuint, int, int, nint, nint, int> _allReduce;
    readonly delegate* unmanaged<nint, int> _commDestroy;
    readonly delegate* unmanaged<int, nint> _getErrorString;

    public string Path { get; }

    NcclLibrary(string path, nint lib)
    {
        Path = path;
        nint Need(string name) => NativeLibrary.TryGetExport(lib, name, out var p) ? p
            : throw new InvalidOperationException($"{path} has no {name}");
        _getUniqueId = (delegate* unmanaged<UniqueId*, int>)Need("ncclGetUniqueId");
        _commInitRank = (delegate* unmanaged<nint*, int, UniqueId, int, int>)Need("ncclCommInitRank");
        _allReduce = (delegate* unmanaged<void*, void*, nuint, int, int, nint, nint, int>)Need("ncclAllReduce");
        _commDestroy = (delegate* unmanaged<nint, int>)Need("ncclCommDestroy");
        _getErrorString = (delegate* unmanaged<int, nint>)Need("ncclGetErrorString");
    }

    /// <summary>The library, or null with the reason (not installed, not an NCCL library, Windows).</summary>
    public static NcclLibrary? TryLoad(out string reason, IReadOnlyList<string>? candidates = null)
    {
        if (candidates is null && OperatingSystem.IsWindows())
        {
            // NVIDIA builds NCCL for Linux only; on Windows GPUs average their gradients over MPI through host memory.
            reason = "NCCL is not built for Windows";
            return null;
        }
        var errors = new List<string>();
        foreach (var name in candidates ?? DefaultCandidates)
        {
            if (!NativeLibrary.TryLoad(name, out var lib))
            {
                errors.Add($"{name} not found");
                continue;
            }
            try
            {
                reason = "";
                return new NcclLibrary(name, lib);
            }
            catch (InvalidOperationException e)
            {
                errors.Add(e.Message);
            }
        }
        reason = string.Join("; ", errors);
        return null;
    }

    public UniqueId GetUniqueId()
    {
        UniqueId id;
        Check(_getUniqueId(&id), "ncclGetUniqueId");
        return id;
    }

    /// <summary>ncclCommInitRank on the current CUDA device.</summary>
    public nint InitRank(int size, UniqueId id, int rank)
    {
        nint comm = 0;
        Check(_commInitRank(&comm, size, id, rank), "ncclCommInitRank");
        return comm;
    }

    /// <summary>In-place sum of <paramref name="count"/> float32 values on the device, on the legacy default stream
    /// (libtorch's default stream, so it is ordered with the kernels around it).</summary>
    public void AllReduceSumInPlace(nint devicePointer, long count, nint comm) =>
        Check(_allReduce((void*)devicePointer, (void*)devicePointer, (nuint)count, NcclFloat32, NcclSum, comm, 0), "ncclAllReduce");

    public void Destroy(nint comm) => _commDestroy(comm);

    void Check(int rc, string call)
    {
        if (rc != 0)
            throw new InvalidOperationException($"{call} failed: {Marshal.PtrToStringUTF8(_getErrorString(rc)) ?? "NCCL error " + rc}");
    }
}
