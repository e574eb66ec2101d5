using SrTrain.Interop;
using SrTrain.Models;
using static TorchSharp.torch;

namespace SrTrain.Export;

/// <summary><see cref="RrdbNet"/>'s forward as ONNX nodes, step for step, with the weights of its state dict. At x2
/// and x1 the graph also pads the input to the pixel-unshuffle's multiple and crops the output, as
/// <c>srtrain upscale</c> does (<see cref="InputPadding"/>), so the file takes images of any size.</summary>
internal static class OnnxRrdbNet
{
    const float Slope = 0.2f, ResidualScale = 0.2f;

    public static string Build(OnnxGraph g, GeneratorSpec spec, IReadOnlyDictionary<string, Tensor> sd, string x)
    {
        int multiple = InputPadding.RequiredMultiple(isRrdbNet: true, spec.Scale);
        return multiple == 1 ? Body(g, spec, sd, x) : g.PaddedToMultiple(x, multiple, spec.Scale, padded => Body(g, spec, sd, padded));
    }

    static string Body(OnnxGraph g, GeneratorSpec spec, IReadOnlyDictionary<string, Tensor> sd, string x)
    {
        var feat = spec.Scale switch
        {
            2 => g.PixelUnshuffle(x, 2),
            1 => g.PixelUnshuffle(x, 4),
            _ => x,
        };
        feat = Conv(g, sd, feat, "conv_first");
        var trunk = feat;
        for (int i = 0; i < spec.NumBlock; i++) trunk = Rrdb(g, sd, trunk, $"body.{i}");
        feat = g.Add(Conv(g, sd, trunk, "conv_body"), feat);
        feat = g.LeakyRelu(Conv(g, sd, g.UpsampleNearest(feat, 2), "conv_up1"), Slope);
        feat = g.LeakyRelu(Conv(g, sd, g.UpsampleNearest(feat, 2), "conv_up2"), Slope);
        if (spec.Scale == 8)
            feat = g.LeakyRelu(Conv(g, sd, g.UpsampleNearest(feat, 2), "conv_up3"), Slope);
        return Conv(g, sd, g.LeakyRelu(Conv(g, sd, feat, "conv_hr"), Slope), "conv_last");
    }

    static string Rrdb(OnnxGraph g, IReadOnlyDictionary<string, Tensor> sd, string x, string name)
    {
        var @out = x;
        for (int k = 1; k <= 3; k++) @out = ResidualDenseBlock(g, sd, @out, $"{name}.rdb{k}");
        return g.Add(g.Mul(@out, ResidualScale), x);
    }

    static string ResidualDenseBlock(OnnxGraph g, IReadOnlyDictionary<string, Tensor> sd, string x, string name)
    {
        var dense = new List<string> { x };
        for (int j = 1; j <= 4; j++)
            dense.Add(g.LeakyRelu(Conv(g, sd, j == 1 ? x : g.Concat(dense, 1), $"{name}.conv{j}"), Slope));
        var x5 = Conv(g, sd, g.Concat(dense, 1), $"{name}.conv5");
        return g.Add(g.Mul(x5, ResidualScale), x);
    }

    static string Conv(OnnxGraph g, IReadOnlyDictionary<string, Tensor> sd, string x, string name) =>
        g.Conv(x, name, OnnxExport.Get(sd, name + ".weight"), sd.GetValueOrDefault(name + ".bias"));
}
