using SrTrain.Runtime;
using SrTrain.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Tests.Runtime;

public class NativeRuntimeTests
{
    [Fact]
    public void Libtorch_Loads_AndComputesAConvolution()
    {
        NativeRuntime.EnsureLoaded();
        // A 3x3 box filter over a ramp: the centre output is the mean of the 9 neighbours, computable by hand.
        var x = torch.arange(25, dtype: ScalarType.Float32).reshape(1, 1, 5, 5);
        var w = torch.ones(1, 1, 3, 3) / 9f;
        var y = nn.functional.conv2d(x, w);
        Assert.Equal(new long[] { 1, 1, 3, 3 }, y.shape);
        Assert.Equal(12f, y[0, 0, 1, 1].item<float>(), 4);
        Assert.Equal(6f, y[0, 0, 0, 0].item<float>(), 4);
    }

    [Fact]
    public void GlibcxxPatch_MarksOnlyThatVersionWeak_InACopy()
    {
        // The build output copy of libLibTorchSharp.so is the file under test: on a system without GLIBCXX_3.4.32 the
        // build must have marked it weak, and the patch is idempotent.
        var lib = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(lib), lib);
        using var dir = new TempDir("srtrain-elf");
        var copy = dir.File("libLibTorchSharp.so");
        File.Copy(lib, copy);
        var bytes = File.ReadAllBytes(copy);
        var second = GlibcxxCompat.WeakenVersionNeed(bytes, GlibcxxCompat.NeededVersion);
        var system = GlibcxxCompat.FindSystemLibStdCxx();
        if (system != null && !GlibcxxCompat.LibraryHasVersion(system, GlibcxxCompat.NeededVersion))
            Assert.Equal(GlibcxxCompat.PatchResult.AlreadyWeak, second);
        Assert.Equal(GlibcxxCompat.PatchResult.NotNeeded, GlibcxxCompat.WeakenVersionNeed(bytes, "GLIBCXX_9.9.99"));
        Assert.Throws<InvalidDataException>(() => GlibcxxCompat.WeakenVersionNeed(new byte[100], "x"));
    }

    [Fact]
    public void LoadedLibTorch_IsFoundWithItsVersion_FromTheProcessModules()
    {
        // Used to read /proc/self/maps (nothing on Windows) and then say "version unknown" for the build output's own
        // libtorch, which is the NuGet packages' 2.10.0.
        NativeRuntime.EnsureLoaded();
        var (path, version) = NativeRuntime.LibTorch();
        Assert.NotNull(path);
        Assert.Equal(OperatingSystem.IsWindows() ? "torch_cpu.dll" : "libtorch_cpu.so", Path.GetFileName(path));
        Assert.True(File.Exists(path), path);
        Assert.NotNull(version);
        Assert.StartsWith(NativeRuntime.ExpectedLibTorch, version);
    }

    [Fact]
    public void LibTorchFailingOnWindows_WithoutTheVcRuntime_SaysWhichRedistributableToInstall()
    {
        var missing = NativeRuntime.LoadFailure(true, "Unable to load DLL 'LibTorchSharp'", new[] { "VCRUNTIME140_1.dll" });
        Assert.Contains("VCRUNTIME140_1.dll is missing", missing);
        Assert.Contains("install the Microsoft Visual C++ 2015–2022 Redistributable (x64)", missing);
        Assert.DoesNotContain("ldd", missing);
        Assert.DoesNotContain('\n', missing);

        var present = NativeRuntime.LoadFailure(true, "Unable to load DLL 'LibTorchSharp'", Array.Empty<string>());
        Assert.DoesNotContain("Redistributable", present);
        Assert.Contains("torch_cpu.dll", present);
        Assert.DoesNotContain("ldd", present);

        Assert.Contains("Run `ldd`", NativeRuntime.LoadFailure(false, "x", Array.Empty<string>()));
    }

    [Fact]
    public void LibTorchFolders_AreLoadedInDependencyOrder_WithTheirOwnNamesOnEachSystem()
    {
        // c10 first (everything imports it), then torch_cpu (the one that must be there), the CUDA halves, torch last.
        Assert.Equal(new[] { "c10.dll", "torch_cpu.dll", "c10_cuda.dll", "torch_cuda.dll", "torch.dll" }, NativeRuntime.LibTorchFiles(windows: true));
        Assert.Equal(new[] { "libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so" }, NativeRuntime.LibTorchFiles(windows: false));
    }
}
