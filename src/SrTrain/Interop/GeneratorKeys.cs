using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace SrTrain.Interop;

/// <summary>Renames the OLD ESRGAN key layout (original ESRGAN release files such as RRDB_ESRGAN_x4.pth, and the many
/// community models trained with the old BasicSR "architecture.py") to BasicSR's RRDBNet names, as chaiNNer does.
/// In the old code the whole network is one flattened nn.Sequential named <c>model</c>:
/// <code>
/// model.0                              -> conv_first
/// model.1.sub.{i}.RDB{k}.conv{j}.0     -> body.{i}.rdb{k}.conv{j}      (i &lt; num_block, k 1..3, j 1..5)
/// model.1.sub.{num_block}              -> conv_body                    (the conv after the trunk, in the shortcut)
/// model.{n}, remaining convs by index  -> conv_up1, conv_up2[, conv_up3], conv_hr, conv_last
///   x4: model.3 -> conv_up1, model.6 -> conv_up2, model.8 -> conv_hr, model.10 -> conv_last
///   (model.2/5 are nearest upsampling, model.4/7/9 LeakyReLU: they have no weights)
/// </code>
/// Each mapped name keeps its <c>.weight</c>/<c>.bias</c> suffix.</summary>
internal static class GeneratorKeys
{
    static readonly Regex RdbKey = new(@"^model\.1\.sub\.(\d+)\.RDB(\d)\.conv(\d)\.0\.(weight|bias)$", RegexOptions.CultureInvariant);
    static readonly Regex TrunkConvKey = new(@"^model\.1\.sub\.(\d+)\.(weight|bias)$", RegexOptions.CultureInvariant);
    static readonly Regex TopKey = new(@"^model\.(\d+)\.(weight|bias)$", RegexOptions.CultureInvariant);

    /// <summary>True when the keys are in the old ESRGAN layout (<c>model.0.weight</c>, <c>model.1.sub.N...</c>).</summary>
    public static bool IsOldEsrganLayout(IReadOnlyDictionary<string, Tensor> sd) =>
        sd.ContainsKey("model.0.weight") && sd.Keys.Any(k => k.StartsWith("model.1.sub.", StringComparison.Ordinal));

    /// <summary>Returns <paramref name="sd"/> itself when it is not in the old layout, otherwise a new dictionary with
    /// BasicSR names (same tensor objects, BasicSR's key order).</summary>
    /// <exception cref="SrTrainException">An old-layout file with keys this mapping does not cover, or with an
    /// upsampling path BasicSR's RRDBNet cannot express (one upsampling conv).</exception>
    public static IReadOnlyDictionary<string, Tensor> ToBasicSr(IReadOnlyDictionary<string, Tensor> sd, string sourceName)
    {
        if (!IsOldEsrganLayout(sd)) return sd;
        var renamed = new Dictionary<string, Tensor>();
        var unknown = new List<string>();
        var topIndices = new SortedSet<int>();
        int trunkConv = -1;
        foreach (var key in sd.Keys)
        {
            Match m;
            if ((m = RdbKey.Match(key)).Success)
                renamed[$"body.{m.Groups[1].Value}.rdb{m.Groups[2].Value}.conv{m.Groups[3].Value}.{m.Groups[4].Value}"] = sd[key];
            else if ((m = TrunkConvKey.Match(key)).Success)
            {
                int i = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                if (trunkConv >= 0 && trunkConv != i) unknown.Add(key);
                else { trunkConv = i; renamed["conv_body." + m.Groups[2].Value] = sd[key]; }
            }
            else if ((m = TopKey.Match(key)).Success)
                topIndices.Add(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            else unknown.Add(key);
        }
        if (unknown.Count > 0)
            throw new SrTrainException($"{sourceName} looks like an old ESRGAN file, but these keys have no RRDBNet equivalent: " +
                                       string.Join(", ", unknown.Take(8)) + (unknown.Count > 8 ? ", ..." : "") + ".");
        if (!topIndices.Remove(0))
            throw new SrTrainException($"{sourceName}: old ESRGAN file without model.0 (the first conv).");
        renamed["conv_first.weight"] = sd["model.0.weight"];
        if (sd.TryGetValue("model.0.bias", out var firstBias)) renamed["conv_first.bias"] = firstBias;
        var rest = topIndices.Where(i => i >= 2).ToList();
        if (topIndices.Contains(1) || rest.Count is < 4 or > 5)
            throw new SrTrainException(
                $"{sourceName}: old ESRGAN file with {Math.Max(0, rest.Count - 2)} upsampling conv(s); BasicSR's RRDBNet " +
                "has 2 (x4, or x2/x1 with a pixel-unshuffled input) or 3 (x8). Convert the model with chaiNNer first.");
        var names = new List<string>();
        for (int u = 1; u <= rest.Count - 2; u++) names.Add("conv_up" + u);
        names.Add("conv_hr");
        names.Add("conv_last");
        for (int i = 0; i < rest.Count; i++)
            foreach (var suffix in new[] { "weight", "bias" })
                if (sd.TryGetValue($"model.{rest[i]}.{suffix}", out var t)) renamed[$"{names[i]}.{suffix}"] = t;

        // BasicSR's registration order, so the result lines up with RRDBNet.state_dict().
        var ordered = new OrderedDictionary<string, Tensor>();
        void Take(string k) { if (renamed.Remove(k, out var t)) ordered.Add(k, t); }
        Take("conv_first.weight"); Take("conv_first.bias");
        foreach (var k in renamed.Keys.Where(k => k.StartsWith("body.", StringComparison.Ordinal))
                     .OrderBy(k => int.Parse(k.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture))
                     .ThenBy(k => k.Split('.')[2], StringComparer.Ordinal).ThenBy(k => k.Split('.')[3], StringComparer.Ordinal)
                     .ThenBy(k => k.EndsWith(".bias", StringComparison.Ordinal)).ToList())
            Take(k);
        foreach (var n in new[] { "conv_body" }.Concat(names))
        {
            Take(n + ".weight");
            Take(n + ".bias");
        }
        return ordered;
    }
}
