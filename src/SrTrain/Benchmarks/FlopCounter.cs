using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SrTrain.Benchmarks;

/// <summary>Counts the forward FLOPs of every Conv2d and Linear of a network from the shapes it really produces: one
/// forward pass under no_grad with forward hooks that read each layer's weight and output shape.</summary>
internal static class FlopCounter
{
    /// <summary>Per-layer forward FLOPs of <paramref name="net"/> on an input of <paramref name="inputShape"/>, in call
    /// order (so the first entry is the layer that sees the network input).</summary>
    public static IReadOnlyList<LayerFlops> Forward(nn.Module net, Action<Tensor> run, long[] inputShape)
    {
        var found = new List<LayerFlops>();
        var removers = new List<Action>();
        foreach (var (name, module) in net.named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    var hc = conv.register_forward_hook((m, input, output) =>
                    {
                        // Output (N, Cout, Hout, Wout): every output position uses every weight of its group once.
                        long positions = output.shape[0] * output.shape[2] * output.shape[3];
                        found.Add(new LayerFlops(name, 2 * conv.weight!.numel() / conv.weight.shape[0] * output.shape[1] * positions));
                        return output;
                    });
                    removers.Add(hc.remove);
                    break;
                case Linear lin:
                    var hl = lin.register_forward_hook((m, input, output) =>
                    {
                        long rows = output.numel() / output.shape[^1];
                        found.Add(new LayerFlops(name, 2 * lin.weight!.numel() * rows));
                        return output;
                    });
                    removers.Add(hl.remove);
                    break;
            }
        }
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            // On the module's own device: a CUDA network cannot take a CPU input.
            var device = net.parameters().FirstOrDefault()?.device ?? CPU;
            run(rand(inputShape, device: device));
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        return found;
    }
}

/// <summary>One weighted layer's forward cost for a given input.</summary>
/// <param name="Name">The module's name in its network (state-dict style, e.g. body.0.rdb1.conv1).</param>
/// <param name="ForwardFlops">2 · (weight elements) · (output positions): one multiply and one add per weight per
/// output pixel (conv) or row (linear). Bias, activations, BN, pooling, concatenation and losses are not counted.</param>
internal sealed record LayerFlops(string Name, long ForwardFlops);
