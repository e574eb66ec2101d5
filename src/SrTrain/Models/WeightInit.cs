using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SrTrain.Models;

/// <summary>BasicSR's <c>default_init_weights</c> for convolutions: Kaiming-normal (fan-in, gain √2) scaled down, bias
/// zero. Residual networks start close to the identity this way, which is what lets 23-block RRDB nets train at all.</summary>
internal static class WeightInit
{
    public static void ScaledKaimingNormal(Conv2d conv, double scale)
    {
        using var _ = torch.no_grad();
        nn.init.kaiming_normal_(conv.weight!);
        using var s = scale.ToScalar(); // disposed after the call: never finalised while libtorch reads it
        conv.weight!.mul_(s);
        conv.bias?.zero_();
    }
}
