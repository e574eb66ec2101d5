using static TorchSharp.torch;

namespace SrTrain.Distributed;

/// <summary>A float64 sum of every parameter of a network. Ranks that apply the same averaged gradients with the same
/// optimizer hold bit-identical weights, so their checksums must be equal; any difference means they diverged.</summary>
internal static class WeightChecksum
{
    public static double Of(nn.Module network)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double sum = 0;
        foreach (var p in network.parameters())
            sum += p.to_type(ScalarType.Float64).sum().item<double>();
        return sum;
    }
}
