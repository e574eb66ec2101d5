using SrTrain.Runtime;

namespace SrTrain.Tests.Runtime;

/// <summary>The autotuner's switch lives in libtorch_cpu (at::Context), so the CPU build can check that SrTrain finds
/// libtorch's entry points by their mangled names and that they do what their names say.</summary>
public class CudnnSettingsTests
{
    [Fact]
    public void TrySetBenchmark_ReadsBackWhatWasSet_AndTheOldValueCanBeRestored()
    {
        NativeRuntime.EnsureLoaded();
        bool before = CudnnSettings.Benchmark;
        try
        {
            Assert.True(CudnnSettings.TrySetBenchmark(true));
            Assert.True(CudnnSettings.Benchmark);
            Assert.True(CudnnSettings.TrySetBenchmark(false));
            Assert.False(CudnnSettings.Benchmark);
        }
        finally
        {
            CudnnSettings.TrySetBenchmark(before);
        }
        Assert.Equal(before, CudnnSettings.Benchmark);
    }

    [Fact]
    public void CheckControl_FindsTheEntryPoints_AndLeavesTheSettingAsItWas()
    {
        NativeRuntime.EnsureLoaded();
        bool before = CudnnSettings.Benchmark;
        Assert.True(CudnnSettings.CheckControl(out var reason), reason);
        Assert.Equal("", reason);
        Assert.Equal(before, CudnnSettings.Benchmark);
    }

    [Fact]
    public void Windows_LooksUpTorchCpuDll_ByMsvcNames()
    {
        // torch_cpu.dll of libtorch-cpu-win-x64 2.10.0 exports these (dumpbin /exports); its .so twin the Itanium ones.
        var msvc = CudnnSettings.For(windows: true);
        Assert.Equal("torch_cpu.dll", msvc.Library);
        Assert.Equal("?globalContext@at@@YAAEAVContext@1@XZ", msvc.GlobalContext);
        Assert.Equal("?setBenchmarkCuDNN@Context@at@@QEAAX_N@Z", msvc.SetBenchmark);
        Assert.Equal("?benchmarkCuDNN@Context@at@@QEBA_NXZ", msvc.GetBenchmark);
        Assert.Equal("libtorch_cpu.so", CudnnSettings.For(windows: false).Library);
    }
}
