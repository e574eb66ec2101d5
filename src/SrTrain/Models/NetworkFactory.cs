using SrTrain.Config;
using SrTrain.Interop;
using static TorchSharp.torch;

namespace SrTrain.Models;

/// <summary>Builds the configured networks: an explicit switch, so searching for `new RrdbNet(` finds where it is built.</summary>
public static class NetworkFactory
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
    public static Vgg16Features LoadVgg16(string path, IEnumerable<string> layers)
    {
        var vgg = new Vgg16Features(layers);
        var sd = WeightFile.Read(path);
        var own = vgg.state_dict();
        WeightFile.LoadInto(vgg, sd.Where(kv => own.ContainsKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value), path);
        return vgg;
    }
}
