using System.Runtime.InteropServices;

namespace SrTrain.Runtime;

/// <summary>cuDNN's autotuner (PyTorch's <c>torch.backends.cudnn.benchmark</c>), which TorchSharp 0.107 does not
/// expose. BasicSR's train.py turns it on: training shapes are fixed, so timing each convolution's algorithms once pays
/// off from the first few steps. Set through libtorch's own C++ entry points
/// (<c>at::globalContext().setBenchmarkCuDNN(bool)</c>), looked up by their mangled names in the loaded libtorch_cpu:
/// Itanium names in libtorch_cpu.so, MSVC names in torch_cpu.dll. The setting lives in the CPU library, so the CPU
/// builds of both systems can check the round trip.</summary>
internal static unsafe class CudnnSettings
{
    /// <summary>The library and the three entry points (globalContext, setBenchmarkCuDNN, benchmarkCuDNN) on an OS.</summary>
    public sealed record EntryPoints(string Library, string GlobalContext, string SetBenchmark, string GetBenchmark);

    public static readonly EntryPoints Itanium = new("libtorch_cpu.so",
        "_ZN2at13globalContextEv", "_ZN2at7Context17setBenchmarkCuDNNEb", "_ZNK2at7Context14benchmarkCuDNNEv");

    public static readonly EntryPoints Msvc = new("torch_cpu.dll",
        "?globalContext@at@@YAAEAVContext@1@XZ", "?setBenchmarkCuDNN@Context@at@@QEAAX_N@Z", "?benchmarkCuDNN@Context@at@@QEBA_NXZ");

    public static EntryPoints For(bool windows) => windows ? Msvc : Itanium;

    static readonly EntryPoints Here = For(OperatingSystem.IsWindows());

    /// <summary>Whether the autotuner is on; false where libtorch's entry points cannot be found.</summary>
    public static bool Benchmark => TryGetBenchmark(out var on) && on;

    /// <summary>Turns the autotuner on or off; returns false when libtorch's entry points were not found.</summary>
    public static bool TrySetBenchmark(bool on)
    {
        if (!TryGet(Here.GlobalContext, out var ctx) || !TryGet(Here.SetBenchmark, out var set)) return false;
        var context = ((delegate* unmanaged<IntPtr>)ctx)();
        ((delegate* unmanaged<IntPtr, byte, void>)set)(context, on ? (byte)1 : (byte)0);
        return true;
    }

    static bool TryGetBenchmark(out bool on)
    {
        on = false;
        if (!TryGet(Here.GlobalContext, out var ctx) || !TryGet(Here.GetBenchmark, out var get)) return false;
        var context = ((delegate* unmanaged<IntPtr>)ctx)();
        on = ((delegate* unmanaged<IntPtr, byte>)get)(context) != 0;
        return true;
    }

    /// <summary>Sets the autotuner to the opposite of its current value, reads it back, and puts the old value back:
    /// true when all of that works (the entry points exist and do what their names say). The reason says what failed.</summary>
    public static bool CheckControl(out string reason)
    {
        if (!NativeLibrary.TryLoad(Here.Library, out var lib))
        {
            reason = $"{Here.Library} is not loaded";
            return false;
        }
        foreach (var symbol in new[] { Here.GlobalContext, Here.SetBenchmark, Here.GetBenchmark })
        {
            if (NativeLibrary.TryGetExport(lib, symbol, out _)) continue;
            reason = $"{Here.Library} has no {symbol}";
            return false;
        }
        TryGetBenchmark(out var before);
        TrySetBenchmark(!before);
        TryGetBenchmark(out var flipped);
        TrySetBenchmark(before);
        TryGetBenchmark(out var restored);
        reason = flipped != before && restored == before ? ""
            : $"setting it to {!before} read back {flipped}, and restoring {before} read back {restored}";
        return reason.Length == 0;
    }

    static bool TryGet(string symbol, out IntPtr address)
    {
        address = IntPtr.Zero;
        return NativeLibrary.TryLoad(Here.Library, out var lib) && NativeLibrary.TryGetExport(lib, symbol, out address);
    }
}
