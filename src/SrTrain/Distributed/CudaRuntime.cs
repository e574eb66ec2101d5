using System.Runtime.InteropServices;

namespace SrTrain.Distributed;

/// <summary>cudaSetDevice, which NCCL needs before ncclCommInitRank (it uses the current device) and which TorchSharp
/// does not expose. Loaded from the CUDA runtime that libtorch brought.</summary>
static unsafe class CudaRuntime
{
    static readonly string[] Candidates = { "libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0", "libcudart.so" };

    public static bool TrySetDevice(int index, out string reason)
    {
        foreach (var name in Candidates)
        {
            if (!NativeLibrary.TryLoad(name, out var lib) || !NativeLibrary.TryGetExport(lib, "cudaSetDevice", out var f)) continue;
            int rc = ((delegate* unmanaged<int, int>)f)(index);
            reason = rc == 0 ? "" : $"cudaSetDevice({index}) returned {rc}";
            return rc == 0;
        }
        reason = "no CUDA runtime library (libcudart.so) to select the device with";
        return false;
    }
}
