using static TorchSharp.torch;

namespace SrTrain.Interop;

/// <summary>Recognises Real-ESRGAN's SRVGGNetCompact (realesr-general-x4v3, realesr-animevideov3, and the quickstart's
/// runs) from its state dict. Its only module is <c>body</c>, a flat list: conv, PReLU, (conv, PReLU)×num_conv, conv,
/// so the keys are <c>body.N.weight</c> (4-D for convs, 1-D for PReLUs) and <c>body.N.bias</c> (convs only). The last
/// conv makes <c>num_out_ch·scale²</c> channels for the pixel shuffle.</summary>
internal static class SrVggNetCompactLayout
{
    /// <summary>True when the keys look like SRVGGNetCompact: body.0 a conv, body.1 a PReLU, and nothing outside
    /// <c>body.</c>.</summary>
    public static bool Matches(IReadOnlyDictionary<string, Tensor> sd) =>
        sd.TryGetValue("body.0.weight", out var first) && first.dim() == 4
        && sd.TryGetValue("body.1.weight", out var prelu) && prelu.dim() == 1
        && sd.Keys.All(k => k.StartsWith("body.", StringComparison.Ordinal));

    /// <summary>The constructor arguments the state dict implies. Real-ESRGAN's files do not record num_out_ch apart
    /// from the scale (the last conv has num_out_ch·scale² channels); like Real-ESRGAN's scripts, num_out_ch is taken
    /// to equal num_in_ch.</summary>
    /// <exception cref="SrTrainException">The layer sequence or the last conv's channel count does not fit.</exception>
    public static GeneratorSpec Detect(IReadOnlyDictionary<string, Tensor> sd, string sourceName)
    {
        // body.{i}.weight for i = 0..n-1 in order; convs at even i, PReLUs at odd i, ending with a conv.
        var layers = new List<Tensor>();
        for (int i = 0; sd.TryGetValue($"body.{i}.weight", out var w); i++) layers.Add(w);
        int n = layers.Count;
        for (int i = 0; i < n; i++)
        {
            int expected = i % 2 == 0 ? 4 : 1;
            if (layers[i].dim() != expected)
                throw new SrTrainException($"{sourceName}: looks like SRVGGNetCompact, but body.{i}.weight has {layers[i].dim()} dimensions " +
                                           $"(expected {(expected == 4 ? "a conv's 4" : "a PReLU's 1")}).");
        }
        if (n < 5 || n % 2 == 0)
            throw new SrTrainException($"{sourceName}: looks like SRVGGNetCompact, but body has {n} weighted layers; expected conv, PReLU, ..., conv (an odd number, at least 5).");
        var first = layers[0];
        var last = layers[^1];
        int numIn = (int)first.shape[1];
        int numFeat = (int)first.shape[0];
        int lastOut = (int)last.shape[0];
        int scale = (int)Math.Round(Math.Sqrt(lastOut / (double)numIn));
        if (scale < 1 || numIn * scale * scale != lastOut)
            throw new SrTrainException($"{sourceName}: SRVGGNetCompact's last conv has {lastOut} output channels, which is not " +
                                       $"{numIn}·scale² for an integer scale (num_out_ch is assumed to equal num_in_ch = {numIn}).");
        int convs = (n + 1) / 2;
        return new GeneratorSpec(GeneratorSpec.SrVggNetCompact, scale, numIn, numIn, numFeat, convs - 2, 0);
    }
}
