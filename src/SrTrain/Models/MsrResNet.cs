using SrTrain.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace SrTrain.Models;

/// <summary>BasicSR's <c>MSRResNet</c> (modified SRResNet): residual blocks without BN, pixel-shuffle upsampling, and
/// the network's output added to the bilinearly upsampled input, so it learns only the residual. Keys: conv_first,
/// body.N.conv1/conv2, upconv1 (upconv2 for x4), conv_hr, conv_last.</summary>
internal sealed class MsrResNet : Module<Tensor, Tensor>
{
    private readonly Conv2d conv_first;
    private readonly Sequential body;
    private readonly Conv2d upconv1;
    private readonly Conv2d? upconv2;
    private readonly PixelShuffle pixel_shuffle;
    private readonly Conv2d conv_hr;
    private readonly Conv2d conv_last;
    private readonly LeakyRelu lrelu;

    /// <summary>The upscaling factor: 2, 3 or 4.</summary>
    public int Upscale { get; }

    public MsrResNet(long numInCh = 3, long numOutCh = 3, long numFeat = 64, int numBlock = 16, int upscale = 4)
        : base(nameof(MsrResNet))
    {
        if (upscale is not (2 or 3 or 4))
            throw new ArgumentOutOfRangeException(nameof(upscale), upscale, "MSRResNet supports upscale 2, 3 or 4");
        Upscale = upscale;
        conv_first = Conv2d(numInCh, numFeat, 3, 1, 1);
        body = Sequential(Enumerable.Range(0, numBlock).Select(_ => (Module<Tensor, Tensor>)new ResidualBlockNoBN(numFeat)).ToArray());
        if (upscale == 4)
        {
            // x4 is two x2 pixel-shuffle stages, as in BasicSR.
            upconv1 = Conv2d(numFeat, numFeat * 4, 3, 1, 1);
            upconv2 = Conv2d(numFeat, numFeat * 4, 3, 1, 1);
            pixel_shuffle = PixelShuffle(2);
        }
        else
        {
            upconv1 = Conv2d(numFeat, numFeat * upscale * upscale, 3, 1, 1);
            pixel_shuffle = PixelShuffle(upscale);
        }
        conv_hr = Conv2d(numFeat, numFeat, 3, 1, 1);
        conv_last = Conv2d(numFeat, numOutCh, 3, 1, 1);
        lrelu = new LeakyRelu(Scalars.Point1);
        foreach (var c in new[] { conv_first, upconv1, conv_hr, conv_last })
            WeightInit.ScaledKaimingNormal(c, 0.1);
        if (upconv2 is not null)
            WeightInit.ScaledKaimingNormal(upconv2, 0.1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var feat = lrelu.call(conv_first.call(x));
        var @out = body.call(feat);
        @out = lrelu.call(pixel_shuffle.call(upconv1.call(@out)));
        if (upconv2 is not null)
            @out = lrelu.call(pixel_shuffle.call(upconv2.call(@out)));
        @out = conv_last.call(lrelu.call(conv_hr.call(@out)));
        var @base = F.interpolate(x, scale_factor: new double[] { Upscale, Upscale }, mode: InterpolationMode.Bilinear, align_corners: false);
        return TensorOps.Add(@out, @base).MoveToOuterDisposeScope();
    }

    /// <summary>Disposes the submodules and tensors this module owns, as TorchVision's modules do.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv_first.Dispose();
            body.Dispose();
            upconv1.Dispose();
            upconv2?.Dispose();
            pixel_shuffle.Dispose();
            conv_hr.Dispose();
            conv_last.Dispose();
            lrelu.Dispose();
        }
        base.Dispose(disposing);
    }
}
