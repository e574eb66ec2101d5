using SrTrain.Config;
using SrTrain.Interop;
using static TorchSharp.torch;

namespace SrTrain.Models;

/// <summary>Builds the configured networks: an explicit switch, so searching for `new RrdbNet(` finds where it is built.</summary>
internal static class NetworkFactory
{
    public static nn.Module<Tensor, Tensor> CreateGenerator(GeneratorConfig g, int scale) => g.Type switch
    {
        GeneratorType.RRDBNet => new RrdbNet(g.NumInCh, g.NumOutCh, scale, g.NumFeat, g.NumBlock, g.NumGrowCh),
        GeneratorType.MSRResNet => new MsrResNet(g.NumInCh, g.NumOutCh, g.NumFeat, g.NumBlock, scale),
        GeneratorType.SRVGGNetCompact => new SrVggNetCompact(g.NumInCh, g.NumOutCh, g.NumFeat, g.NumBlock, scale),
        _ => throw new SrTrainException($"network_g.type {g.Type}: unknown generator"),
    };

    /// <summary>The generator a weight file describes (architecture detected from its keys and shapes), with the
    /// file's weights loaded.</summary>
    public static nn.Module<Tensor, Tensor> LoadGenerator(string path, out GeneratorSpec spec)
    {
        var (detected, sd) = WeightFile.ReadGenerator(path);
        spec = detected;
        detected.CheckFits(sd, path);
        // The detected architecture's names are network_g.type's, so the file's network is built by the same switch.
        var type = Enum.GetValues<GeneratorType>().Cast<GeneratorType?>().FirstOrDefault(t => t.ToString() == detected.Arch)
                   ?? throw new SrTrainException($"{path}: architecture {detected.Arch} cannot be built");
        var g = CreateGenerator(new GeneratorConfig
        {
            Type = type,
            NumInCh = detected.NumInCh,
            NumOutCh = detected.NumOutCh,
            NumFeat = detected.NumFeat,
            NumBlock = detected.NumBlock,
            NumGrowCh = detected.NumGrowCh,
        }, detected.Scale);
        WeightFile.LoadInto(g, sd, path);
        return g;
    }

    /// <summary>Loads a pretrained generator file (path.pretrain_network_g) into the configured <paramref name="g"/>. A file
    /// of another architecture or size is named by what its shapes say it is, with the network_g settings that fit it,
    /// instead of hundreds of missing keys and wrong shapes. Old-layout ESRGAN files load, as in `upscale`.</summary>
    /// <param name="paramKey">BasicSR's param_key_g: the entry of the file to load; null or empty = params_ema, else params.</param>
    /// <param name="strict">False: BasicSR's strict_load_g false, see <see cref="WeightFile.LoadFitting"/>; returns what was
    /// skipped (nothing when strict).</param>
    public static IReadOnlyList<string> LoadPretrained(nn.Module g, GeneratorConfig config, int scale, string path, string? paramKey = null, bool strict = true)
    {
        var sd = GeneratorKeys.ToBasicSr(WeightFile.Read(path, paramKey), path);
        if (!strict) return WeightFile.LoadFitting(g, sd, path);
        GeneratorSpec? spec = null;
        try { spec = GeneratorSpec.Detect(sd, path); }
        catch (SrTrainException) { }   // not a generator SrTrain knows: the key-by-key comparison below says what differs
        if (spec != null && Describe(spec) is var file && Describe(config, scale) is var want && file != want)
        {
            var set = new List<string>();
            if (spec.Arch != config.Type.ToString()) set.Add($"network_g.type: {spec.Arch}");
            if (spec.Scale != scale) set.Add($"scale: {spec.Scale}");
            if (spec.NumInCh != config.NumInCh) set.Add($"network_g.num_in_ch: {spec.NumInCh}");
            if (spec.NumOutCh != config.NumOutCh) set.Add($"network_g.num_out_ch: {spec.NumOutCh}");
            if (spec.NumFeat != config.NumFeat) set.Add($"network_g.num_feat: {spec.NumFeat}");
            if (spec.NumBlock != config.NumBlock) set.Add($"network_g.num_block: {spec.NumBlock}");
            if (spec.Arch == GeneratorSpec.RrdbNet && spec.NumGrowCh != config.NumGrowCh) set.Add($"network_g.num_grow_ch: {spec.NumGrowCh}");
            throw new SrTrainException($"path.pretrain_network_g: {path} is {file}; the config builds {want}. Set {string.Join(", ", set)}, " +
                                       "or give a file of the configured network" +
                                       (spec.Scale != scale ? " (or set path.strict_load_g: false to load only the layers that fit, as BasicSR does)" : ""));
        }
        WeightFile.LoadInto(g, sd, path);
        return Array.Empty<string>();
    }

    static string Describe(GeneratorSpec s) =>
        Describe(s.Arch, s.Scale, s.NumInCh, s.NumOutCh, s.NumFeat, s.NumBlock, s.Arch == GeneratorSpec.RrdbNet ? s.NumGrowCh : 0);

    static string Describe(GeneratorConfig c, int scale) =>
        Describe(c.Type.ToString(), scale, c.NumInCh, c.NumOutCh, c.NumFeat, c.NumBlock, c.Type == GeneratorType.RRDBNet ? c.NumGrowCh : 0);

    static string Describe(string arch, int scale, int inCh, int outCh, int feat, int blocks, int grow) =>
        $"{arch} x{scale}, {feat} features, {blocks} blocks" + (grow > 0 ? $", {grow} grow channels" : "") +
        (inCh != 3 || outCh != 3 ? $", {inCh} → {outCh} channels" : "");

    /// <param name="inputSize">HQ patch size (gt_size): the VGG-style discriminator's linear layer depends on it.</param>
    public static nn.Module<Tensor, Tensor> CreateDiscriminator(DiscriminatorConfig d, int inputSize) => d.Type switch
    {
        DiscriminatorType.VGGStyleDiscriminator => inputSize is 128 or 256
            ? new VggStyleDiscriminator(d.NumInCh, d.NumFeat, inputSize)
            : throw new SrTrainException($"network_d.type VGGStyleDiscriminator takes 128 or 256 px patches, but datasets.train.gt_size is {inputSize}; " +
                                         "set gt_size to 128 or 256, or use UNetDiscriminatorSN (any size)"),
        DiscriminatorType.UNetDiscriminatorSN => new UNetDiscriminatorSN(d.NumInCh, d.NumFeat),
        _ => throw new SrTrainException($"network_d.type {d.Type}: unknown discriminator"),
    };

    /// <summary>A frozen VGG-16 with pretrained weights from a torchvision file (vgg16-397923af.pth as downloaded,
    /// legacy format, classifier included: only the feature layers up to the deepest requested one are taken).</summary>
    public static VggFeatures LoadVgg16(string path, IEnumerable<string> layers) => LoadVgg(path, "vgg16", layers);

    /// <summary>A frozen VGG-16 or VGG-19 (<paramref name="vggType"/>) with pretrained weights from a torchvision file
    /// (vgg16-397923af.pth, vgg19-dcbb9e9d.pth as downloaded: features.N.weight/bias; the classifier's keys and those of
    /// feature layers deeper than the deepest requested one are not read into the module).</summary>
    public static VggFeatures LoadVgg(string path, string vggType, IEnumerable<string> layers, bool useInputNorm = true, bool rangeNorm = false)
    {
        var vgg = new VggFeatures(layers, vggType, useInputNorm, rangeNorm);
        try
        {
            var sd = WeightFile.Read(path);
            var own = vgg.state_dict();
            WeightFile.LoadInto(vgg, sd.Where(kv => own.ContainsKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value), path);
            return vgg;
        }
        catch
        {
            vgg.Dispose();
            throw;
        }
    }
}
