using System.Runtime.InteropServices;

namespace SrTrain.Runtime;

/// <summary>cuDNN's autotuner (PyTorch's <c>torch.backends.cudnn.benchmark</c>), which TorchSharp 0.107 does not
/// expose. BasicSR's train.py turns it on: training shapes are fixed, so timing each convolution's algorithms once pays
/// off from the first few steps. Set through libtorch's own C++ entry points
/// (<c>at::globalContext().setBenchmarkCuDNN(bool)</c>), looked up by their mangled names in the loaded libtorch_cpu.</summary>
public static unsafe class CudnnSettings
{
    const string GlobalContext = "_ZN2at13globalContextEv";
    const string SetBenchmark = "_ZN2at7Context17setBenchmarkCuDNNEb";
    const string GetBenchmark = "_ZNK2at7Context14benchmarkCuDNNEv";

    /// <summary>Whether the autotuner is on; false where libtorch's entry points cannot be found.</summary>
    public static bool Benchmark
    {
        get
        {
            if (!TryGet(GlobalContext, out var ctx) || !TryGet(GetBenchmark, out var get)) return false;
            var context = ((delegate* unmanaged<IntPtr>)ctx)();
            return ((delegate* unmanaged<IntPtr, byte>)get)(context) != 0;
        }
    }

    /// <summary>Turns the autotuner on or off; returns false when libtorch's entry points were not found.</summary>
    public static bool TrySetBenchmark(bool on)
    {
        if (!TryGet(GlobalContext, out var ctx) || !TryGet(SetBenchmark, out var set)) return false;
        var context = ((delegate* unmanaged<IntPtr>)ctx)();
        ((delegate* unmanaged<IntPtr, byte, void>)set)(context, on ? (byte)1 : (byte)0);
        return true;
    }

    static bool TryGet(string symbol, out IntPtr address)
    {
        address = IntPtr.Zero;
        return NativeLibrary.TryLoad("libtorch_cpu.so", out var lib) && NativeLibrary.TryGetExport(lib, symbol, out address);
    }
}
