using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace SrTrain.Interop;

/// <summary>A generator architecture and its size, as far as a state dict reveals them (BasicSR's constructor
/// arguments). <see cref="NumGrowCh"/> is 0 for MSRResNet.</summary>
internal sealed record GeneratorSpec(string Arch, int Scale, int NumInCh, int NumOutCh, int NumFeat, int NumBlock, int NumGrowCh)
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
        var spec = DetectArch(sd, sourceName);
        if (spec.NumInCh < 1 || spec.NumOutCh < 1 || spec.NumFeat < 1 || spec.NumBlock < 1 || (spec.Arch == RrdbNet && spec.NumGrowCh < 1))
            throw new SrTrainException($"{sourceName}: its shapes describe a {spec.Arch} with an empty layer ({spec}); the file is malformed.");
        return spec;
    }

    static GeneratorSpec DetectArch(IReadOnlyDictionary<string, Tensor> sd, string sourceName)
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

    /// <summary>A convolution's weight: present and 4-D (out, in, kh, kw), or the file does not describe the network its
    /// keys suggest.</summary>
    static Tensor Get(IReadOnlyDictionary<string, Tensor> sd, string key, string sourceName)
    {
        if (!sd.TryGetValue(key, out var t)) throw new SrTrainException($"{sourceName} lacks '{key}', which the detected architecture needs.");
        if (t.dim() != 4)
            throw new SrTrainException($"{sourceName}: '{key}' has shape [{string.Join(", ", t.shape)}], but a convolution weight has 4 dimensions.");
        return t;
    }

    /// <summary>How many values the network of this spec holds (parameters; these generators have no buffers),
    /// computed from the constructor arguments as BasicSR builds the layers. Used to refuse a file that declares a
    /// network far larger than the values it holds before that network is allocated.</summary>
    public long ParameterCount()
    {
        checked
        {
            long Conv(long cin, long cout) => cout * cin * 9 + cout;
            long nf = NumFeat, gc = NumGrowCh;
            switch (Arch)
            {
                case RrdbNet:
                    {
                        long firstIn = Scale switch { 2 => NumInCh * 4L, 1 => NumInCh * 16L, _ => NumInCh };
                        long rdb = Conv(nf, gc) + Conv(nf + gc, gc) + Conv(nf + 2 * gc, gc) + Conv(nf + 3 * gc, gc) + Conv(nf + 4 * gc, nf);
                        long ups = Scale == 8 ? 3 : 2;
                        return Conv(firstIn, nf) + NumBlock * 3 * rdb + Conv(nf, nf) * (2 + ups) + Conv(nf, NumOutCh);
                    }
                case MsrResNet:
                    {
                        long up = Scale == 4 ? 2 * Conv(nf, nf * 4) : Conv(nf, nf * Scale * Scale);
                        return Conv(NumInCh, nf) + NumBlock * 2 * Conv(nf, nf) + up + Conv(nf, nf) + Conv(nf, NumOutCh);
                    }
                case SrVggNetCompact:
                    return Conv(NumInCh, nf) + nf + NumBlock * (Conv(nf, nf) + nf) + Conv(nf, (long)NumOutCh * Scale * Scale);
                default:
                    return 0;
            }
        }
    }

    /// <summary>Refuses a state dict that holds fewer values than the network its shapes describe: building that
    /// network first would let a few hundred bytes (a conv_first that declares 3000 channels) allocate gigabytes.</summary>
    public void CheckFits(IReadOnlyDictionary<string, Tensor> sd, string sourceName)
    {
        long have = sd.Values.Sum(t => t.numel());
        long need;
        try { need = ParameterCount(); }
        catch (OverflowException) { need = long.MaxValue; }
        if (need > have)
            throw new SrTrainException($"{sourceName}: its shapes describe a {Arch} (num_feat {NumFeat}, num_block {NumBlock}" +
                                       (Arch == RrdbNet ? $", num_grow_ch {NumGrowCh}" : "") + $", x{Scale}) of {need} parameters, " +
                                       $"but the file holds only {have} values; it is inconsistent or cut down.");
    }

    /// <summary>Number of distinct N in keys "prefixN.*".</summary>
    static int CountIndexed(IReadOnlyDictionary<string, Tensor> sd, string prefix) =>
        sd.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => Regex.Match(k[prefix.Length..], @"^(\d+)\.")).Where(m => m.Success)
            .Select(m => m.Groups[1].Value).Distinct().Count();

    static string Sample(IReadOnlyDictionary<string, Tensor> sd) =>
        sd.Count == 0 ? "none" : string.Join(", ", sd.Keys.Take(4)) + (sd.Count > 4 ? ", ..." : "");
}
