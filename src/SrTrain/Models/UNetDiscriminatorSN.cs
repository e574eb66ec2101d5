using SrTrain.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace SrTrain.Models;

/// <summary>Real-ESRGAN's U-Net discriminator with spectral norm (BasicSR <c>UNetDiscriminatorSN</c>): one realness
/// logit per pixel. Three stride-2 spectral-normed convs down, three bilinear x2 ups with optional skip additions,
/// two more spectral-normed convs, then conv9 to one channel. Keys conv0.weight/bias, convK.weight_orig/weight_u/
/// weight_v for K = 1 … 8, conv9.weight/bias. Input height and width should be multiples of 8 so the skips line up.</summary>
internal sealed class UNetDiscriminatorSN : Module<Tensor, Tensor>
{
    private readonly Conv2d conv0;
    private readonly SpectralNormConv2d conv1;
    private readonly SpectralNormConv2d conv2;
    private readonly SpectralNormConv2d conv3;
    private readonly SpectralNormConv2d conv4;
    private readonly SpectralNormConv2d conv5;
    private readonly SpectralNormConv2d conv6;
    private readonly SpectralNormConv2d conv7;
    private readonly SpectralNormConv2d conv8;
    private readonly Conv2d conv9;
    private readonly bool skipConnection;

    public UNetDiscriminatorSN(long numInCh = 3, long numFeat = 64, bool skipConnection = true) : base(nameof(UNetDiscriminatorSN))
    {
        this.skipConnection = skipConnection;
        conv0 = Conv2d(numInCh, numFeat, 3, 1, 1);
        // downsample
        conv1 = new SpectralNormConv2d(numFeat, numFeat * 2, 4, 2, 1, bias: false);
        conv2 = new SpectralNormConv2d(numFeat * 2, numFeat * 4, 4, 2, 1, bias: false);
        conv3 = new SpectralNormConv2d(numFeat * 4, numFeat * 8, 4, 2, 1, bias: false);
        // upsample
        conv4 = new SpectralNormConv2d(numFeat * 8, numFeat * 4, 3, 1, 1, bias: false);
        conv5 = new SpectralNormConv2d(numFeat * 4, numFeat * 2, 3, 1, 1, bias: false);
        conv6 = new SpectralNormConv2d(numFeat * 2, numFeat, 3, 1, 1, bias: false);
        // extra convolutions
        conv7 = new SpectralNormConv2d(numFeat, numFeat, 3, 1, 1, bias: false);
        conv8 = new SpectralNormConv2d(numFeat, numFeat, 3, 1, 1, bias: false);
        conv9 = Conv2d(numFeat, 1, 3, 1, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // Channels-last once at the input (see ChannelsLast): oneDNN then skips a layout reorder around every conv.
        x = ChannelsLast.Of(x);
        var x0 = Lrelu(conv0.call(x));
        var x1 = Lrelu(conv1.call(x0));
        var x2 = Lrelu(conv2.call(x1));
        var x3 = Lrelu(conv3.call(x2));

        x3 = Up2(x3);
        var x4 = Lrelu(conv4.call(x3));
        if (skipConnection) x4 = TensorOps.Add(x4, x2);
        x4 = Up2(x4);
        var x5 = Lrelu(conv5.call(x4));
        if (skipConnection) x5 = TensorOps.Add(x5, x1);
        x5 = Up2(x5);
        var x6 = Lrelu(conv6.call(x5));
        if (skipConnection) x6 = TensorOps.Add(x6, x0);

        var @out = Lrelu(conv7.call(x6));
        @out = Lrelu(conv8.call(@out));
        return conv9.call(@out).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Disposes the submodules and tensors this module owns, as TorchVision's modules do.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv0.Dispose();
            conv1.Dispose();
            conv2.Dispose();
            conv3.Dispose();
            conv4.Dispose();
            conv5.Dispose();
            conv6.Dispose();
            conv7.Dispose();
            conv8.Dispose();
            conv9.Dispose();
        }
        base.Dispose(disposing);
    }

    static Tensor Lrelu(Tensor x) => x.leaky_relu(Scalars.Point2);

    static Tensor Up2(Tensor x) =>
        F.interpolate(x, scale_factor: new[] { 2.0, 2.0 }, mode: InterpolationMode.Bilinear, align_corners: false);
}
