using SrTrain.Config;
using static TorchSharp.torch;

namespace SrTrain.Models;

/// <summary>Builds the configured networks: an explicit switch, so searching for `new RrdbNet(` finds where it is built.</summary>
public static class NetworkFactory
{
    public static nn.Module<Tensor, Tensor> CreateGenerator(GeneratorConfig g, int scale) => g.Type switch
    {
        GeneratorType.SRVGGNetCompact => new SrVggNetCompact(g.NumInCh, g.NumOutCh, g.NumFeat, g.NumBlock, scale),
        _ => throw new SrTrainException($"network_g.type {g.Type} is not available in this build"),
    };
}
