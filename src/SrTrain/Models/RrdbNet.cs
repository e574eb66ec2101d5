using SrTrain.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace SrTrain.Models;

/// <summary>ESRGAN's generator, BasicSR's <c>RRDBNet</c>, with the same state-dict keys (conv_first, body.N.rdbK.convJ,
/// conv_body, conv_up1, conv_up2, conv_hr, conv_last) so BasicSR / Real-ESRGAN weight files load key for key.
/// <para>Scales: 4 is the plain network. 2 and 1 follow BasicSR: the input is pixel-unshuffled by 2 (resp. 4) first, so
/// conv_first takes in·4 (resp. in·16) channels and the two x2 upsamplings bring it back to x2 (resp. x1); the input
/// height and width must then be multiples of 2 (resp. 4). 8 is not in BasicSR: it follows the ESRGAN-style x8 models
/// that chaiNNer/spandrel load, an extra <c>conv_up3</c> after a third nearest x2 upsampling (before conv_hr).</para></summary>
internal sealed class RrdbNet : Module<Tensor, Tensor>
{
    private readonly Conv2d conv_first;
    private readonly Sequential body;
    private readonly Conv2d conv_body;
    private readonly Conv2d conv_up1;
    private readonly Conv2d conv_up2;
    private readonly Conv2d? conv_up3;
    private readonly Conv2d conv_hr;
    private readonly Conv2d conv_last;
    private readonly LeakyRelu lrelu;

    /// <summary>The upscaling factor: 1, 2, 4 or 8.</summary>
    public int Scale { get; }

    public RrdbNet(long numInCh = 3, long numOutCh = 3, int scale = 4, long numFeat = 64, int numBlock = 23, long numGrowCh = 32)
        : base(nameof(RrdbNet))
    {
        if (scale is not (1 or 2 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "RRDBNet supports scale 1, 2, 4 or 8");
        Scale = scale;
        var firstInCh = scale switch { 2 => numInCh * 4, 1 => numInCh * 16, _ => numInCh };
        conv_first = Conv2d(firstInCh, numFeat, 3, 1, 1);
        body = Sequential(Enumerable.Range(0, numBlock).Select(_ => (Module<Tensor, Tensor>)new Rrdb(numFeat, numGrowCh)).ToArray());
        conv_body = Conv2d(numFeat, numFeat, 3, 1, 1);
        conv_up1 = Conv2d(numFeat, numFeat, 3, 1, 1);
        conv_up2 = Conv2d(numFeat, numFeat, 3, 1, 1);
        if (scale == 8)
            conv_up3 = Conv2d(numFeat, numFeat, 3, 1, 1);
        conv_hr = Conv2d(numFeat, numFeat, 3, 1, 1);
        conv_last = Conv2d(numFeat, numOutCh, 3, 1, 1);
        lrelu = new LeakyRelu(Scalars.Point2, inplace: true); // as BasicSR: only ever applied to fresh conv outputs
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = ChannelsLast.Of(x);
        var feat = Scale switch
        {
            2 => PixelUnshuffle(x, 2),
            1 => PixelUnshuffle(x, 4),
            _ => x,
        };
        feat = conv_first.call(feat);
        var bodyFeat = conv_body.call(body.call(feat));
        feat = bodyFeat.add_(feat, Scalars.One); // not feat.add_: conv_first's output is body's saved input
        feat = lrelu.call(conv_up1.call(UpNearest2(feat)));
        feat = lrelu.call(conv_up2.call(UpNearest2(feat)));
        if (conv_up3 is not null)
            feat = lrelu.call(conv_up3.call(UpNearest2(feat)));
        var @out = conv_last.call(lrelu.call(conv_hr.call(feat)));
        // Callers (image writers, losses on raw data) get the usual contiguous NCHW tensor.
        return @out.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Disposes the submodules and tensors this module owns, as TorchVision's modules do.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv_first.Dispose();
            body.Dispose();
            conv_body.Dispose();
            conv_up1.Dispose();
            conv_up2.Dispose();
            conv_up3?.Dispose();
            conv_hr.Dispose();
            conv_last.Dispose();
            lrelu.Dispose();
        }
        base.Dispose(disposing);
    }

    static Tensor UpNearest2(Tensor x) =>
        F.interpolate(x, scale_factor: new[] { 2.0, 2.0 }, mode: InterpolationMode.Nearest);

    static Tensor PixelUnshuffle(Tensor x, long factor)
    {
        if (x.shape[2] % factor != 0 || x.shape[3] % factor != 0)
            throw new ArgumentException(
                $"RRDBNet x{(factor == 2 ? 2 : 1)} needs input height and width divisible by {factor}, got {x.shape[2]}x{x.shape[3]}; pad the input first");
        return F.pixel_unshuffle(x, factor);
    }
}
