using SrTrain.Models;
using SrTrain.Runtime;
using static SrTrain.Tests.Models.ReferenceData;
using static TorchSharp.torch;

namespace SrTrain.Tests.Models;

public class GeneratorTests
{
    static GeneratorTests() => NativeRuntime.EnsureLoaded();

    [Fact]
    public void RrdbNetDefault_HasBasicSRStateDictKeys()
    {
        using var net = new RrdbNet();
        var sd = net.state_dict();
        foreach (var key in new[]
                 {
                     "conv_first.weight", "conv_first.bias", "body.0.rdb1.conv1.weight", "body.22.rdb3.conv5.bias",
                     "conv_body.weight", "conv_up1.weight", "conv_up2.weight", "conv_hr.weight", "conv_last.weight",
                 })
            Assert.True(sd.ContainsKey(key), key);
        Assert.False(sd.ContainsKey("conv_up3.weight"));
        Assert.False(sd.ContainsKey("body.23.rdb1.conv1.weight"));
        // 23 RRDBs x 3 RDBs x 5 convs x (weight, bias) + 6 other convs x 2.
        Assert.Equal(23 * 3 * 5 * 2 + 6 * 2, sd.Count);
        Assert.Equal(new long[] { 64, 3, 3, 3 }, sd["conv_first.weight"].shape);
        Assert.Equal(new long[] { 32, 64 + 32, 3, 3 }, sd["body.0.rdb1.conv2.weight"].shape);
    }

    [Fact]
    public void ResidualDenseBlock_StartsWithBasicSRScaledKaimingInit()
    {
        // default_init_weights(scale 0.1): weight std 0.1·√(2/fan_in), bias zero.
        using var rdb = new ResidualDenseBlock(64, 32);
        var w = rdb.state_dict()["conv5.weight"];
        var expected = 0.1 * Math.Sqrt(2.0 / ((64 + 4 * 32) * 9));
        Assert.InRange(w.std().item<float>(), expected * 0.95, expected * 1.05);
        Assert.Equal(0f, rdb.state_dict()["conv5.bias"].abs().max().item<float>());
    }

    [Theory]
    [InlineData(1, 8, 8, 48)]
    [InlineData(2, 8, 8, 12)]
    [InlineData(4, 8, 8, 3)]
    [InlineData(8, 32, 32, 3)]
    public void RrdbNet_OutputIsScaleTimesInput(int scale, int h, int w, long firstConvInCh)
    {
        using var net = new RrdbNet(3, 3, scale, numFeat: 8, numBlock: 1, numGrowCh: 4);
        var sd = net.state_dict();
        Assert.Equal(firstConvInCh, sd["conv_first.weight"].shape[1]);
        Assert.Equal(scale == 8, sd.ContainsKey("conv_up3.weight"));
        using var _ = no_grad();
        var y = net.call(rand(2, 3, h, w));
        Assert.Equal(new long[] { 2, 3, h * scale, w * scale }, y.shape);
    }

    [Fact]
    public void RrdbNetX1_RejectsSizesNotDivisibleBy4()
    {
        using var net = new RrdbNet(3, 3, 1, numFeat: 8, numBlock: 1, numGrowCh: 4);
        var e = Assert.Throws<ArgumentException>(() => net.call(rand(1, 3, 10, 8)));
        Assert.Contains("divisible by 4", e.Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void MsrResNet_OutputIsUpscaleTimesInput_AndHasUpconv2OnlyForX4(int upscale)
    {
        using var net = new MsrResNet(3, 3, numFeat: 8, numBlock: 2, upscale: upscale);
        var sd = net.state_dict();
        Assert.True(sd.ContainsKey("body.1.conv2.weight"));
        Assert.Equal(upscale == 4, sd.ContainsKey("upconv2.weight"));
        Assert.Equal(upscale == 4 ? 8 * 4 : 8 * upscale * upscale, sd["upconv1.weight"].shape[0]);
        using var _ = no_grad();
        var y = net.call(rand(1, 3, 5, 7));
        Assert.Equal(new long[] { 1, 3, 5 * upscale, 7 * upscale }, y.shape);
    }

    [Fact]
    public void MsrResNet_WithZeroConvs_ReturnsBilinearUpsampleOfInput()
    {
        using var net = new MsrResNet(1, 1, numFeat: 4, numBlock: 1, upscale: 2);
        using (no_grad())
            foreach (var p in net.parameters())
                p.zero_();
        const float a = 1, b = 3, c = 5, d = 13;
        var x = tensor(new[] { a, b, c, d }).reshape(1, 1, 2, 2);
        // Bilinear x2, align_corners=false: along each axis [p, q] becomes [p, .75p+.25q, .25p+.75q, q].
        float[] Row(float p, float q) => new[] { p, 0.75f * p + 0.25f * q, 0.25f * p + 0.75f * q, q };
        var top = Row(a, b);
        var bottom = Row(c, d);
        var expected = new float[16];
        for (int j = 0; j < 4; j++)
        {
            var col = Row(top[j], bottom[j]);
            for (int i = 0; i < 4; i++) expected[i * 4 + j] = col[i];
        }
        using var _ = no_grad();
        var y = net.call(x);
        Assert.True(MaxAbsDiff(y, tensor(expected).reshape(1, 1, 4, 4)) < 1e-6);
    }

    [Fact]
    public void VggStyleDiscriminator256_HasConv5Stage_AndRejectsOtherSizes()
    {
        using var d = new VggStyleDiscriminator(3, numFeat: 4, inputSize: 256);
        Assert.True(d.state_dict().ContainsKey("conv5_1.weight"));
        Assert.True(d.state_dict().ContainsKey("bn5_1.running_var"));
        using var _ = no_grad();
        d.eval();
        Assert.Equal(new long[] { 2, 1 }, d.call(rand(2, 3, 256, 256)).shape);
        Assert.Throws<ArgumentException>(() => d.call(rand(1, 3, 128, 128)));
        using var d128 = new VggStyleDiscriminator(3, numFeat: 4, inputSize: 128);
        Assert.False(d128.state_dict().ContainsKey("conv5_0.weight"));
    }
}
