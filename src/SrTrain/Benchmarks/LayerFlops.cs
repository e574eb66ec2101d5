namespace SrTrain.Benchmarks;

/// <summary>One weighted layer's forward cost for a given input.</summary>
/// <param name="Name">The module's name in its network (state-dict style, e.g. body.0.rdb1.conv1).</param>
/// <param name="ForwardFlops">2 · (weight elements) · (output positions): one multiply and one add per weight per
/// output pixel (conv) or row (linear). Bias, activations, BN, pooling, concatenation and losses are not counted.</param>
internal sealed record LayerFlops(string Name, long ForwardFlops);
