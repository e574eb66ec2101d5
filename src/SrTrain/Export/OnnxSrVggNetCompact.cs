using SrTrain.Interop;
using SrTrain.Models;
using static TorchSharp.torch;

namespace SrTrain.Export;

/// <summary><see cref="SrVggNetCompact"/>'s forward as ONNX nodes: body.0 conv, body.1 PReLU, … the last conv, a pixel
/// shuffle, plus the nearest-upsampled input.</summary>
internal static class OnnxSrVggNetCompact
{
    public static string Build(OnnxGraph g, GeneratorSpec spec, IReadOnlyDictionary<string, Tensor> sd, string x)
    {
        // conv, PReLU, (conv, PReLU) × num_conv, conv: 2·num_conv + 3 layers, convs at the even indices.
        int layers = 2 * spec.NumBlock + 3;
        var @out = x;
        for (int i = 0; i < layers; i++)
        {
            string name = $"body.{i}";
            @out = i % 2 == 0
                ? g.Conv(@out, name, OnnxExport.Get(sd, name + ".weight"), sd.GetValueOrDefault(name + ".bias"))
                : g.PRelu(@out, name, OnnxExport.Get(sd, name + ".weight"));
        }
        // At x1 the pixel shuffle and the upsampling are identities, and PyTorch computes them as copies.
        if (spec.Scale == 1) return g.Add(@out, x);
        return g.Add(g.PixelShuffle(@out, spec.Scale), g.UpsampleNearest(x, spec.Scale));
    }
}
