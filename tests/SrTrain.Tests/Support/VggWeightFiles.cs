using SrTrain.Interop;
using static TorchSharp.torch;

namespace SrTrain.Tests.Support;

/// <summary>VGG-16 / VGG-19 weight files in torchvision's layout (vgg16-397923af.pth, vgg19-dcbb9e9d.pth:
/// features.N.weight / features.N.bias, N the index in torchvision's <c>features</c>, plus classifier entries) with
/// weights made by a formula instead of ImageNet training, so tests need neither the 500 MB downloads nor committed
/// copies. scripts/reference/make_perceptual_reference.py makes the same weights in Python for BasicSR's reference
/// (its docstring states the formula): parameter number k in state-dict order, element i in flat C order,
/// h = hash(i, k, seed) an integer hash exact in both languages, u = h / 2^32, weight (2u − 1)·√(6 / fan_in),
/// bias (2u − 1)·0.05.</summary>
internal static class VggWeightFiles
{
    // torchvision's cfgs "D" and "E": channels of each conv, 0 for a max pool.
    static readonly int[] Vgg16 = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0];
    static readonly int[] Vgg19 = [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0];

    /// <summary>Writes the formula's weights for <paramref name="vggType"/> (vgg16 or vgg19) to <paramref name="path"/>
    /// (torch.save's zip format, a plain state dict as torchvision's files are) and returns the path. The file also has
    /// small stand-ins for torchvision's classifier.0/3/6 entries, which a VGG feature extractor must ignore.</summary>
    public static string WriteRandom(string path, string vggType, int seed)
    {
        using var scope = NewDisposeScope();
        var sd = StateDict(vggType, seed);
        // Not torchvision's shapes (25088×4096 …: 470 MB), but keys the loader has to skip all the same.
        foreach (var i in new[] { 0, 3, 6 })
        {
            sd[$"classifier.{i}.weight"] = ones(4, 4);
            sd[$"classifier.{i}.bias"] = zeros(4);
        }
        WeightFile.Write(sd, path, PthWrapping.Plain);
        return path;
    }

    /// <summary>The formula's features.* state dict, in torchvision's key order.</summary>
    public static Dictionary<string, Tensor> StateDict(string vggType, int seed)
    {
        var cfg = vggType switch
        {
            "vgg16" => Vgg16,
            "vgg19" => Vgg19,
            _ => throw new ArgumentException($"unknown VGG type {vggType}", nameof(vggType)),
        };
        var sd = new Dictionary<string, Tensor>();
        int index = 0, k = 0;
        long inCh = 3;
        foreach (var outCh in cfg)
        {
            if (outCh == 0)
            {
                index += 1; // MaxPool2d
                continue;
            }
            long fanIn = inCh * 9;
            double bound = Math.Sqrt(6.0 / fanIn);
            sd[$"features.{index}.weight"] = tensor(Values(outCh * fanIn, k++, seed, bound)).view(outCh, inCh, 3, 3);
            sd[$"features.{index}.bias"] = tensor(Values(outCh, k++, seed, 0.05));
            index += 2; // Conv2d, ReLU
            inCh = outCh;
        }
        return sd;
    }

    static float[] Values(long n, int k, int seed, double scale)
    {
        var v = new float[n];
        uint offset = unchecked((uint)(k * 40503 + seed * 97));
        for (long i = 0; i < n; i++)
        {
            uint h = unchecked((uint)i * 2654435761u + offset);
            h ^= h >> 15;
            h = unchecked(h * 2246822519u);
            h ^= h >> 13;
            double u = h / 4294967296.0;
            v[i] = (float)((2 * u - 1) * scale);
        }
        return v;
    }
}
