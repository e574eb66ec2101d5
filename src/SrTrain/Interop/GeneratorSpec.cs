using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace SrTrain.Interop;

/// <summary>A generator architecture and its size, as far as a state dict reveals them (BasicSR's constructor
/// arguments). <see cref="NumGrowCh"/> is 0 for MSRResNet.</summary>
public sealed record GeneratorSpec(string Arch, int Scale, int NumInCh, int NumOutCh, int NumFeat, int NumBlock, int NumGrowCh)
{
    public const string RrdbNet = "RRDBNet";
    public const string MsrResNet = "MSRResNet";
    public const string SrVggNetCompact = "SRVGGNetCompact";

    /// <summary>Detects the architecture from key names and tensor shapes alone, as chaiNNer's model loader does, so a
    /// downloaded file can be used without knowing its options. Expects BasicSR key names (run
    /// <see cref="GeneratorKeys.ToBasicSr"/> first for old ESRGAN files).</summary>
    /// <exception cref="SrTrainException">The keys match no supported architecture.</exception>
    public static GeneratorSpec Detect(IReadOnlyDictionary<string, Tensor> sd, string sourceName)
    {
        if (sd.ContainsKey("conv_first.weight") && sd.ContainsKey("body.0.rdb1.conv1.weight"))
            return DetectRrdbNet(sd, sourceName);
        if (sd.ContainsKey("conv_first.weight") && sd.ContainsKey("upconv1.weight"))
            return DetectMsrResNet(sd, sourceName);
        if (SrVggNetCompactLayout.Matches(sd))
            return SrVggNetCompactLayout.Detect(sd, sourceName);
        throw new SrTrainException(
            $"cannot tell the architecture of {sourceName}: its keys ({Sample(sd)}) match none of the supported generators " +
            "(RRDBNet/ESRGAN/Real-ESRGAN in BasicSR or old ESRGAN key layout, MSRResNet/SRResNet, Real-ESRGAN SRVGGNetCompact).");
    }

    static GeneratorSpec DetectRrdbNet(IReadOnlyDictionary<string, Tensor> sd, string sourceName)
    {
        var first = Get(sd, "conv_first.weight", sourceName);
        var last = Get(sd, "conv_last.weight", sourceName);
        int numFeat = (int)first.shape[0];
        int inFirst = (int)first.shape[1];
        int numOut = (int)last.shape[0];
        // BasicSR makes x2 and x1 from the x4 body by pixel-unshuffling the input (factor 2 or 4), which multiplies the
        // first conv's input channels by 4 or 16. The output channel count stands in for the image channels.
        int scale, numIn;
        if (sd.ContainsKey("conv_up3.weight")) (scale, numIn) = (8, inFirst);
        else if (inFirst == numOut * 16) (scale, numIn) = (1, inFirst / 16);
        else if (inFirst == numOut * 4) (scale, numIn) = (2, inFirst / 4);
        else (scale, numIn) = (4, inFirst);
        int numBlock = CountIndexed(sd, "body.");
        int numGrow = (int)Get(sd, "body.0.rdb1.conv1.weight", sourceName).shape[0];
        return new GeneratorSpec(RrdbNet, scale, numIn, numOut, numFeat, numBlock, numGrow);
    }

    static GeneratorSpec DetectMsrResNet(IReadOnlyDictionary<string, Tensor> sd, string sourceName)
    {
        var first = Get(sd, "conv_first.weight", sourceName);
        int numFeat = (int)first.shape[0];
        int up1 = (int)Get(sd, "upconv1.weight", sourceName).shape[0];
        int scale = sd.ContainsKey("upconv2.weight") ? 4
            : up1 == numFeat * 9 ? 3
            : up1 == numFeat * 4 ? 2
            : throw new SrTrainException($"{sourceName}: MSRResNet upconv1 has {up1} output channels for {numFeat} features; expected 4x (x2) or 9x (x3).");
        return new GeneratorSpec(MsrResNet, scale, (int)first.shape[1], (int)Get(sd, "conv_last.weight", sourceName).shape[0],
            numFeat, CountIndexed(sd, "body."), 0);
    }

    static Tensor Get(IReadOnlyDictionary<string, Tensor> sd, string key, string sourceName) =>
        sd.TryGetValue(key, out var t) ? t : throw new SrTrainException($"{sourceName} lacks '{key}', which the detected architecture needs.");

    /// <summary>Number of distinct N in keys "prefixN.*".</summary>
    static int CountIndexed(IReadOnlyDictionary<string, Tensor> sd, string prefix) =>
        sd.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => Regex.Match(k[prefix.Length..], @"^(\d+)\.")).Where(m => m.Success)
            .Select(m => m.Groups[1].Value).Distinct().Count();

    static string Sample(IReadOnlyDictionary<string, Tensor> sd) =>
        sd.Count == 0 ? "none" : string.Join(", ", sd.Keys.Take(4)) + (sd.Count > 4 ? ", ..." : "");
}
