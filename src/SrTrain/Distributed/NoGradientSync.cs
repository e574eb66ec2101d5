using static TorchSharp.torch;

namespace SrTrain.Distributed;

/// <summary>One process: there is nothing to average, and the step counts when this rank's loss was finite.</summary>
internal sealed class NoGradientSync : IGradientSync
{
    public static readonly NoGradientSync Instance = new();

    NoGradientSync() { }

    public bool Average(Tensor gradients, bool finiteHere) => finiteHere;
}
