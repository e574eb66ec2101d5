using System.Collections;
using SrTrain.Runtime;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SrTrain.Tests.Models;

/// <summary>Reads the PyTorch reference cases copied into TestData/Reference (made by BasicSR/torchvision, see
/// /work/shared/reference/README.md at the time of copying).</summary>
internal static class ReferenceData
{
    static ReferenceData() => NativeRuntime.EnsureLoaded();

    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "TestData", "Reference", file);

    /// <summary>A raw little-endian float32 C-order tensor.</summary>
    public static Tensor ReadF32(string file, params long[] shape)
    {
        var bytes = File.ReadAllBytes(PathOf(file));
        var data = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, data, 0, bytes.Length);
        Assert.Equal(shape.Aggregate(1L, (a, b) => a * b), data.LongLength);
        return tensor(data).reshape(shape);
    }

    /// <summary>Loads a zip-format torch.save state dict with PyBridge, after checking that its keys and shapes are
    /// exactly the module's own (PyBridge alone can leave a mismatch unnoticed). <paramref name="wrapperKey"/> unwraps
    /// {'params_ema': state_dict}-style files.</summary>
    public static void LoadInto(nn.Module module, string file, string? wrapperKey = null)
    {
        Hashtable table = PyTorchUnpickler.UnpickleStateDict(PathOf(file));
        if (wrapperKey is not null)
            table = Assert.IsAssignableFrom<Hashtable>(table[wrapperKey]);
        var loaded = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry e in table)
            loaded[(string)e.Key] = Assert.IsType<Tensor>(e.Value);

        var own = module.state_dict();
        var missing = own.Keys.Except(loaded.Keys).OrderBy(k => k).ToList();
        var unexpected = loaded.Keys.Except(own.Keys).OrderBy(k => k).ToList();
        Assert.True(missing.Count == 0 && unexpected.Count == 0,
            $"{file}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]");
        foreach (var (key, t) in own)
            Assert.True(t.shape.SequenceEqual(loaded[key].shape),
                $"{file}: {key} has shape [{string.Join(",", loaded[key].shape)}], the module [{string.Join(",", t.shape)}]");

        var (missingAfter, unexpectedAfter) = module.load_state_dict(loaded, strict: true);
        Assert.Empty(missingAfter);
        Assert.Empty(unexpectedAfter);
    }

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.Equal(b.shape, a.shape);
        return (a - b).abs().max().item<float>();
    }
}
