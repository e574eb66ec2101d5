using SrTrain.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SrTrain.Models;

/// <summary>Real-ESRGAN's SRVGGNetCompact (realesr-general-x4v3's architecture): a plain stack of 3x3 convs with
/// PReLU, a pixel shuffle, plus the nearest-upsampled input. Light enough to train on a CPU, so the quickstart uses it.
/// Parameter names match Real-ESRGAN's (`body.0.weight`, `body.1.weight` for the first PReLU, ...).</summary>
internal sealed class SrVggNetCompact : Module<Tensor, Tensor>
{
    private readonly ModuleList<Module<Tensor, Tensor>> body;
    private readonly PixelShuffle upsampler;
    private readonly int _upscale;

    public SrVggNetCompact(int numInCh = 3, int numOutCh = 3, int numFeat = 64, int numConv = 16, int upscale = 4)
        : base(nameof(SrVggNetCompact))
    {
        _upscale = upscale;
        body = new ModuleList<Module<Tensor, Tensor>>();
        body.Add(Conv2d(numInCh, numFeat, 3, padding: 1));
        body.Add(new PRelu(numFeat));
        for (int i = 0; i < numConv; i++)
        {
            body.Add(Conv2d(numFeat, numFeat, 3, padding: 1));
            body.Add(new PRelu(numFeat));
        }
        body.Add(Conv2d(numFeat, numOutCh * upscale * upscale, 3, padding: 1));
        upsampler = PixelShuffle(upscale);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // Channels-last through the conv stack (see ChannelsLast), back to plain NCHW before the pixel shuffle.
        var output = ChannelsLast.Of(x);
        foreach (var layer in body) output = layer.call(output);
        output = upsampler.call(output.contiguous());
        var baseImage = functional.interpolate(x, scale_factor: new double[] { _upscale, _upscale }, mode: InterpolationMode.Nearest);
        return TensorOps.Add(output, baseImage).MoveToOuterDisposeScope();
    }

    /// <summary>Disposes the submodules and tensors this module owns, as TorchVision's modules do.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var layer in body)
                layer.Dispose();
            body.Dispose();
            upsampler.Dispose();
        }
        base.Dispose(disposing);
    }
}
