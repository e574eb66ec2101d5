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
}
