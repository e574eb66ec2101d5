using SrTrain.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SrTrain.Models;

/// <summary>BasicSR's <c>VGGStyleDiscriminator</c> (ESRGAN's discriminator): conv/BN/LeakyReLU stages that halve the
/// size down to 4x4, then two linear layers to one logit per image. Input must be exactly inputSize x inputSize
/// (128 or 256: 256 adds the conv5_* stage). Keys conv0_0, conv0_1, bn0_1, …, conv4_1, bn4_1, linear1, linear2.</summary>
internal sealed class VggStyleDiscriminator : Module<Tensor, Tensor>
{
    private readonly Conv2d conv0_0;
    private readonly Conv2d conv0_1;
    private readonly BatchNorm2d bn0_1;
    private readonly Conv2d conv1_0;
    private readonly BatchNorm2d bn1_0;
    private readonly Conv2d conv1_1;
    private readonly BatchNorm2d bn1_1;
    private readonly Conv2d conv2_0;
    private readonly BatchNorm2d bn2_0;
    private readonly Conv2d conv2_1;
    private readonly BatchNorm2d bn2_1;
    private readonly Conv2d conv3_0;
    private readonly BatchNorm2d bn3_0;
    private readonly Conv2d conv3_1;
    private readonly BatchNorm2d bn3_1;
    private readonly Conv2d conv4_0;
    private readonly BatchNorm2d bn4_0;
    private readonly Conv2d conv4_1;
    private readonly BatchNorm2d bn4_1;
    private readonly Conv2d? conv5_0;
    private readonly BatchNorm2d? bn5_0;
    private readonly Conv2d? conv5_1;
    private readonly BatchNorm2d? bn5_1;
    private readonly Linear linear1;
    private readonly Linear linear2;
    private readonly LeakyRelu lrelu;

    /// <summary>The only input height and width the linear layers accept.</summary>
    public int InputSize { get; }

    public VggStyleDiscriminator(long numInCh = 3, long numFeat = 64, int inputSize = 128) : base(nameof(VggStyleDiscriminator))
    {
        if (inputSize is not (128 or 256))
            throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "VGGStyleDiscriminator takes input size 128 or 256");
        InputSize = inputSize;
        conv0_0 = Conv2d(numInCh, numFeat, 3, 1, 1, bias: true);
        conv0_1 = Conv2d(numFeat, numFeat, 4, 2, 1, bias: false);
        bn0_1 = new BatchNorm2d(numFeat);

        conv1_0 = Conv2d(numFeat, numFeat * 2, 3, 1, 1, bias: false);
        bn1_0 = new BatchNorm2d(numFeat * 2);
        conv1_1 = Conv2d(numFeat * 2, numFeat * 2, 4, 2, 1, bias: false);
        bn1_1 = new BatchNorm2d(numFeat * 2);

        conv2_0 = Conv2d(numFeat * 2, numFeat * 4, 3, 1, 1, bias: false);
        bn2_0 = new BatchNorm2d(numFeat * 4);
        conv2_1 = Conv2d(numFeat * 4, numFeat * 4, 4, 2, 1, bias: false);
        bn2_1 = new BatchNorm2d(numFeat * 4);

        conv3_0 = Conv2d(numFeat * 4, numFeat * 8, 3, 1, 1, bias: false);
        bn3_0 = new BatchNorm2d(numFeat * 8);
        conv3_1 = Conv2d(numFeat * 8, numFeat * 8, 4, 2, 1, bias: false);
        bn3_1 = new BatchNorm2d(numFeat * 8);

        conv4_0 = Conv2d(numFeat * 8, numFeat * 8, 3, 1, 1, bias: false);
        bn4_0 = new BatchNorm2d(numFeat * 8);
        conv4_1 = Conv2d(numFeat * 8, numFeat * 8, 4, 2, 1, bias: false);
        bn4_1 = new BatchNorm2d(numFeat * 8);

        if (inputSize == 256)
        {
            conv5_0 = Conv2d(numFeat * 8, numFeat * 8, 3, 1, 1, bias: false);
            bn5_0 = new BatchNorm2d(numFeat * 8);
            conv5_1 = Conv2d(numFeat * 8, numFeat * 8, 4, 2, 1, bias: false);
            bn5_1 = new BatchNorm2d(numFeat * 8);
        }

        linear1 = Linear(numFeat * 8 * 4 * 4, 100);
        linear2 = Linear(100, 1);
        lrelu = new LeakyRelu(Scalars.Point2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (x.shape[2] != InputSize || x.shape[3] != InputSize)
            throw new ArgumentException(
                $"VGGStyleDiscriminator built for {InputSize}x{InputSize} input got {x.shape[2]}x{x.shape[3]}; set the GT crop size to {InputSize}");
        using var scope = NewDisposeScope();
        var feat = lrelu.call(conv0_0.call(ChannelsLast.Of(x)));
        feat = lrelu.call(bn0_1.call(conv0_1.call(feat))); // /2
        feat = lrelu.call(bn1_0.call(conv1_0.call(feat)));
        feat = lrelu.call(bn1_1.call(conv1_1.call(feat))); // /4
        feat = lrelu.call(bn2_0.call(conv2_0.call(feat)));
        feat = lrelu.call(bn2_1.call(conv2_1.call(feat))); // /8
        feat = lrelu.call(bn3_0.call(conv3_0.call(feat)));
        feat = lrelu.call(bn3_1.call(conv3_1.call(feat))); // /16
        feat = lrelu.call(bn4_0.call(conv4_0.call(feat)));
        feat = lrelu.call(bn4_1.call(conv4_1.call(feat))); // /32
        if (conv5_0 is not null)
        {
            feat = lrelu.call(bn5_0!.call(conv5_0.call(feat)));
            feat = lrelu.call(bn5_1!.call(conv5_1!.call(feat))); // /64
        }
        feat = feat.contiguous().view(feat.shape[0], -1); // 4x4 spatial is left; flatten in NCHW order as PyTorch does
        feat = lrelu.call(linear1.call(feat));
        return linear2.call(feat).MoveToOuterDisposeScope();
    }

    /// <summary>Disposes the submodules and tensors this module owns, as TorchVision's modules do.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv0_0.Dispose();
            conv0_1.Dispose();
            bn0_1.Dispose();
            conv1_0.Dispose();
            bn1_0.Dispose();
            conv1_1.Dispose();
            bn1_1.Dispose();
            conv2_0.Dispose();
            bn2_0.Dispose();
            conv2_1.Dispose();
            bn2_1.Dispose();
            conv3_0.Dispose();
            bn3_0.Dispose();
            conv3_1.Dispose();
            bn3_1.Dispose();
            conv4_0.Dispose();
            bn4_0.Dispose();
            conv4_1.Dispose();
            bn4_1.Dispose();
            conv5_0?.Dispose();
            bn5_0?.Dispose();
            conv5_1?.Dispose();
            bn5_1?.Dispose();
            linear1.Dispose();
            linear2.Dispose();
            lrelu.Dispose();
        }
        base.Dispose(disposing);
    }
}
