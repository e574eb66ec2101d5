using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace SrTrain.Distributed;

/// <summary>The address of a tensor's data (host or device), which TorchSharp 0.107 does not expose: libtorch's
/// data_ptr() through LibTorchSharp's own export, as TorchSharp's data&lt;T&gt;() reads it.</summary>
static partial class TensorMemory
{
    [LibraryImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
    private static partial nint THSTensor_data(nint tensor);

    public static nint DataPointer(Tensor t)
    {
        if (!t.is_contiguous()) throw new ArgumentException("the tensor must be contiguous", nameof(t));
        var p = THSTensor_data(t.Handle);
        if (p == 0) throw new InvalidOperationException("THSTensor_data returned null");
        return p;
    }
}
