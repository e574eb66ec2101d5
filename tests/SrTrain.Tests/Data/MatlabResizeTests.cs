using SrTrain.Data;
using TorchSharp;
using static SrTrain.Tests.Data.DataTestUtil;

namespace SrTrain.Tests.Data;

public class MatlabResizeTests
{
    public MatlabResizeTests() => EnsureTorch();

    [Theory]
    [InlineData("chelsea")]
    [InlineData("coffee")]
    public void Downscale_MatchesBasicSrImresize_OnReferenceImage(string name)
    {
        using var scope = torch.NewDisposeScope();
        var hq = ImageFile.ReadRgb(TestFile($"{name}_hq.png"));
        var expected = ImageFile.ReadRgb(TestFile($"{name}_lqx4.png"));
        var lq = MatlabResize.Resize(hq, 0.25);
        Assert.Equal(expected.shape, lq.shape);
        var (max, fraction) = CompareBytes(ToBytes(lq), ToBytes(expected));
        Assert.True(max <= 1, $"max diff {max}");
        Assert.True(fraction < 0.01, $"{fraction:P3} of values differ");
    }

    [Theory]
    [InlineData("chelsea")]
    [InlineData("coffee")]
    public void Upscale_MatchesBasicSrImresize_OnReferenceImage(string name)
    {
        using var scope = torch.NewDisposeScope();
        var lq = ImageFile.ReadRgb(TestFile($"{name}_lqx4.png"));
        var expected = ImageFile.ReadRgb(TestFile($"{name}_bicubic_up_x4.png"));
        var up = MatlabResize.Resize(lq.unsqueeze(0), 4);
        Assert.Equal(new long[] { 1, 3, expected.shape[1], expected.shape[2] }, up.shape);
        var (max, fraction) = CompareBytes(ToBytes(up[0]), ToBytes(expected));
        Assert.True(max <= 1, $"max diff {max}");
        Assert.True(fraction < 0.01, $"{fraction:P3} of values differ");
    }

    [Fact]
    public void ManagedResize_EqualsTensorResize_AndWindowEqualsCropOfWhole()
    {
        using var scope = torch.NewDisposeScope();
        var hq = ImageFile.ReadRgb(TestFile("chelsea_hq.png"));
        var viaTensor = MatlabResize.Resize(hq, 0.25);
        var image = RgbImage.FromTensor(hq);
        var whole = MatlabResize.Resize(image, 0.25).ToTensor();
        Assert.True(torch.allclose(whole, viaTensor, rtol: 0, atol: 2e-6));
        // A window touching the top border (symmetric padding) and one inside.
        foreach (var (top, left) in new[] { (0, 0), (20, 37) })
        {
            var window = MatlabResize.ResizeWindow(image, 0.25, top, left, 32, 40).ToTensor();
            var crop = whole[.., top..(top + 32), left..(left + 40)];
            Assert.True(torch.allclose(window, crop, rtol: 0, atol: 1e-6));
        }
    }

    [Fact]
    public void Weights_SumToOne_AndConstantImageStaysConstant()
    {
        using var scope = torch.NewDisposeScope();
        var flat = torch.full(3, 13, 17, 0.3f);
        foreach (var s in new[] { 0.25, 0.5, 1 / 3.0, 2.0, 4.0 })
        {
            var r = MatlabResize.Resize(flat, s);
            Assert.Equal(MatlabResize.OutputLength(13, s), (int)r.shape[1]);
            Assert.True(torch.allclose(r, torch.full_like(r, 0.3f), rtol: 0, atol: 1e-6), $"scale {s}");
        }
    }
}
