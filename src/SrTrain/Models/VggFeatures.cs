using SrTrain.Config;
using SrTrain.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SrTrain.Models;

/// <summary>A frozen VGG-16 or VGG-19 feature extractor for perceptual losses, BasicSR's <c>VGGFeatureExtractor</c>
/// (requires_grad false, max pooling with stride 2, no pooling removed). It holds torchvision's
/// <c>vgg16().features</c> or <c>vgg19().features</c> as a Sequential named <c>features</c> with the same indices
/// (features.0.weight, features.2.weight, …), so torchvision's weight file loads into it, but only up to the deepest
/// requested layer: the keys of deeper layers in such a file are not part of this module's state.
/// <para>The input is RGB in [0,1] (or [-1,1] with <c>rangeNorm</c>); it is normalised with the ImageNet mean/std
/// before the first conv. Those two tensors are non-persistent buffers: they follow <c>.to(device)</c> but are not
/// in the state dict, since torchvision's files do not have them. Conv outputs (conv1_1 …) are pre-activation values:
/// the ReLUs are not in place, unlike torchvision's (BasicSR clones each output for the same effect).</para></summary>
internal sealed class VggFeatures : Module<Tensor, Dictionary<string, Tensor>>
{
    private readonly Sequential features;
    private Tensor mean;
    private Tensor std;
    private readonly Module<Tensor, Tensor>[] layers;
    private readonly string[] wanted;
    private readonly IReadOnlyList<string> names;
    private readonly bool useInputNorm;
    private readonly bool rangeNorm;

    /// <param name="layerNames">Layers whose outputs <see cref="forward"/> returns, by BasicSR's names for the type
    /// (<see cref="VggLayerNames"/>: e.g. "relu2_2", "conv5_4" of VGG-19).</param>
    /// <param name="vggType">vgg16 (default) or vgg19 (BasicSR's vgg_type).</param>
    /// <param name="useInputNorm">Normalise with the ImageNet mean/std (BasicSR default true).</param>
    /// <param name="rangeNorm">Map a [-1,1] input to [0,1] first (BasicSR default false).</param>
    public VggFeatures(IEnumerable<string> layerNames, string vggType = "vgg16", bool useInputNorm = true, bool rangeNorm = false)
        : base(nameof(VggFeatures))
    {
        names = VggLayerNames.Of(vggType)
            ?? throw new ArgumentException($"unknown VGG type {vggType}; valid: {string.Join(", ", VggLayerNames.VggTypes)}", nameof(vggType));
        VggType = vggType;
        wanted = layerNames.Distinct().ToArray();
        if (wanted.Length == 0)
            throw new ArgumentException("VggFeatures needs at least one layer name", nameof(layerNames));
        var unknown = wanted.Where(n => !names.Contains(n)).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException(
                $"unknown {VggLayerNames.DisplayName(vggType)} layer name(s) {string.Join(", ", unknown)}; valid: {string.Join(", ", names)}", nameof(layerNames));
        var last = wanted.Max(n => IndexOf(names, n));

        layers = BuildLayers(names, last + 1);
        features = Sequential(layers);
        this.useInputNorm = useInputNorm;
        this.rangeNorm = rangeNorm;
        mean = tensor(new[] { 0.485f, 0.456f, 0.406f }, device: CPU).view(1, 3, 1, 1);
        std = tensor(new[] { 0.229f, 0.224f, 0.225f }, device: CPU).view(1, 3, 1, 1);
        register_buffer(nameof(mean), mean, persistent: false);
        register_buffer(nameof(std), std, persistent: false);
        RegisterComponents();

        foreach (var p in parameters())
            p.requires_grad = false;
        eval();
    }

    // TorchSharp 0.107's Module._to moves only persistent buffers (named_buffers skips non-persistent ones whatever
    // its flag says), so mean/std stayed on the CPU when the module went to CUDA: "Expected all tensors to be on the
    // same device" in forward. They follow the parameters here instead, after every kind of move (all three _to overloads
    // end in this epilog).
    protected override void _toEpilog(ScalarType? dtype, Device? device, bool non_blocking)
    {
        base._toEpilog(dtype, device, non_blocking);
        FollowParameters();
    }

    void FollowParameters()
    {
        var p = features.parameters().First();
        if (mean.device.type != p.device.type || mean.device.index != p.device.index || mean.dtype != p.dtype)
        {
            mean = mean.to(p.dtype, p.device, disposeAfter: true);
            std = std.to(p.dtype, p.device, disposeAfter: true);
            ConditionallyRegisterBuffer(nameof(mean), mean, persistent: false);
            ConditionallyRegisterBuffer(nameof(std), std, persistent: false);
        }
    }

    /// <summary>Disposes the submodules and tensors this module owns, as TorchVision's modules do.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            features.Dispose();
            // Non-persistent buffers: TorchSharp 0.107's base Dispose lists buffers through named_buffers, which skips them.
            mean.Dispose();
            std.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>vgg16 or vgg19.</summary>
    public string VggType { get; }

    /// <summary>The layers <see cref="forward"/> returns.</summary>
    public IReadOnlyList<string> Layers => wanted;

    static int IndexOf(IReadOnlyList<string> names, string layerName)
    {
        for (int i = 0; i < names.Count; i++)
            if (names[i] == layerName) return i;
        throw new ArgumentException($"unknown VGG layer name {layerName}", nameof(layerName));
    }

    /// <summary>Runs the input (N,3,H,W) through the layers and returns the requested layers' outputs by name.</summary>
    public override Dictionary<string, Tensor> forward(Tensor x)
    {
        var result = new Dictionary<string, Tensor>();
        using var scope = NewDisposeScope();
        x = ChannelsLast.Of(Normalize(x));
        for (int i = 0; i < layers.Length; i++)
        {
            x = layers[i].call(x);
            if (wanted.Contains(names[i]))
                result[names[i]] = x.MoveToOuterDisposeScope();
        }
        return result;
    }

    /// <summary>The input normalisation before the first conv ([-1,1] → [0,1] with rangeNorm, then ImageNet
    /// mean/std), on the module's device.</summary>
    internal Tensor Normalize(Tensor x)
    {
        if (rangeNorm)
            x = x.add(Scalars.One, Scalars.One).div(Scalars.Two);
        if (useInputNorm)
            x = TensorOps.Sub(x, mean).div(std);
        return x;
    }

    // Configs "D" (vgg16) and "E" (vgg19) of torchvision: 64,64,M,128,128,M,256×3 or ×4,M,512×3 or ×4,M,512×3 or ×4,M.
    static Module<Tensor, Tensor>[] BuildLayers(IReadOnlyList<string> names, int count)
    {
        var list = new List<Module<Tensor, Tensor>>();
        long inCh = 3;
        foreach (var name in names.Take(count))
        {
            if (name.StartsWith("conv", StringComparison.Ordinal))
            {
                long outCh = name[4] switch { '1' => 64, '2' => 128, '3' => 256, _ => 512 };
                list.Add(Conv2d(inCh, outCh, 3, 1, 1));
                inCh = outCh;
            }
            else if (name.StartsWith("relu", StringComparison.Ordinal))
                list.Add(ReLU());
            else
                list.Add(MaxPool2d(2, 2));
        }
        return list.ToArray();
    }
}
