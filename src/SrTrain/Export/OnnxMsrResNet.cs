using SrTrain.Interop;
using SrTrain.Models;
using static TorchSharp.torch;

namespace SrTrain.Export;

/// <summary><see cref="MsrResNet"/>'s forward as ONNX nodes: residual blocks, pixel-shuffle upsampling (two x2 stages
/// at x4), and the bilinearly upsampled input added at the end.</summary>
internal static class OnnxMsrResNet
{
    const float Slope = 0.1f;

    public static string Build(OnnxGraph g, GeneratorSpec spec, IReadOnlyDictionary<string, Tensor> sd, string x)
    {
        var feat = g.LeakyRelu(Conv(g, sd, x, "conv_first"), Slope);
        var @out = feat;
        // ResidualBlockNoBN with res_scale 1 (as SrTrain builds it): x + conv2(relu(conv1(x))).
        for (int i = 0; i < spec.NumBlock; i++)
            @out = g.Add(@out, Conv(g, sd, g.Relu(Conv(g, sd, @out, $"body.{i}.conv1")), $"body.{i}.conv2"));
        int shuffle = spec.Scale == 4 ? 2 : spec.Scale;
        @out = g.LeakyRelu(g.PixelShuffle(Conv(g, sd, @out, "upconv1"), shuffle), Slope);
        if (spec.Scale == 4)
            @out = g.LeakyRelu(g.PixelShuffle(Conv(g, sd, @out, "upconv2"), 2), Slope);
        @out = Conv(g, sd, g.LeakyRelu(Conv(g, sd, @out, "conv_hr"), Slope), "conv_last");
        return g.Add(@out, g.UpsampleBilinear(x, spec.Scale));
    }

    static string Conv(OnnxGraph g, IReadOnlyDictionary<string, Tensor> sd, string x, string name) =>
        g.Conv(x, name, OnnxExport.Get(sd, name + ".weight"), sd.GetValueOrDefault(name + ".bias"));
}
