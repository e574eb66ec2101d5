using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Degradation;
using SrTrain.Losses;
using SrTrain.Models;
using SrTrain.Runtime;
using SrTrain.Training;
using static TorchSharp.torch;

namespace SrTrain.Tests.Training;

/// <summary>losses.*.gt_usm: each flagged loss compares with the USM-sharpened GT, the others with the GT as it is
/// (Real-ESRGAN's RealESRGANModel.optimize_parameters: l1_gt, percep_gt, gan_gt). The sharpened GT is BasicSR's own
/// USMSharp's, made in PyTorch 1.13 by scripts/reference/make_usm_step_reference.py (TestData/Training/usm_ref.*).</summary>
public class UsmTargetTests
{
    public UsmTargetTests() => NativeRuntime.EnsureLoaded();

    static readonly long[] Shape = [2, 3, 64, 64];

    static Tensor Load(string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "Training", file));
        var floats = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, floats, 0, bytes.Length);
        return tensor(floats).reshape(Shape);
    }

    static double L1(Tensor a, Tensor b) => nn.functional.l1_loss(a, b).item<float>();

    [Theory]
    [InlineData(true, false, true)]    // train_realesrgan_x4plus.yml with gan_gt_usm on
    [InlineData(false, true, false)]
    [InlineData(true, true, false)]    // Real-ESRGAN's files: l1_gt_usm, percep_gt_usm on, gan_gt_usm off
    public void FlaggedLosses_CompareWithBasicSrsSharpenedGt_TheOthersWithTheGt(bool pixUsm, bool percepUsm, bool ganUsm)
    {
        var gt = Load("usm_ref.gt.f32");
        var gtUsm = Load("usm_ref.gt_usm.f32");
        // The fixture is a sharpening worth testing: the two targets differ well beyond float noise.
        Assert.True(L1(gt, gtUsm) > 0.01, $"{L1(gt, gtUsm)}");

        manual_seed(0);
        var g = new SrVggNetCompact(3, 3, 8, 1, 4);
        var d = nn.Sequential(("conv", nn.Conv2d(3, 1, 3, padding: 1)));   // stateless: its output depends on its input only
        var optG = new FlatAdam(new FlatParameters(g, withGrad: true), 1e-3);
        var optD = new FlatAdam(new FlatParameters(d, withGrad: true), 1e-3);
        var losses = new LossesConfig
        {
            Pixel = new PixelLossConfig { Weight = 1, GtUsm = pixUsm },
            Perceptual = new PerceptualLossConfig { Weight = 1, GtUsm = percepUsm, LayerWeights = new() { ["relu1_2"] = 1 } },
            Gan = new GanLossConfig { Type = GanType.Vanilla, Weight = 0.1, GtUsm = ganUsm },
        };
        // Features = the image itself, so l_g_percep is L1 against the perceptual loss's target.
        var perceptual = new PerceptualLoss(x => new Dictionary<string, Tensor> { ["relu1_2"] = x }, losses.Perceptual.LayerWeights);
        using var usm = new UsmSharp(CPU);
        var step = new SrganStep(g, d, optG, optD, losses, perceptual, 0, sharpen: x => usm.Apply(x));

        var lq = nn.functional.avg_pool2d(gt, 4);
        Tensor fake, realLogits;
        using (no_grad())
        {
            fake = g.call(lq);
            realLogits = d.call(ganUsm ? gtUsm : gt);
        }
        var batch = new TrainingBatch { Step = 0, Lq = lq, Hq = gt, Samples = Array.Empty<SampleInfo>() };
        var log = step.Run(0, batch)!;

        Assert.Equal(L1(fake, pixUsm ? gtUsm : gt), log["l_g_pix"], 5);
        Assert.Equal(L1(fake, percepUsm ? gtUsm : gt), log["l_g_percep"], 5);
        // D's real input (its parameters change only after this forward): the sharpened GT only when gan_gt_usm is on.
        Assert.Equal(realLogits.mean().item<float>(), log["out_d_real"], 5);
        // The unflagged target would have given another number: the assertions above can fail.
        Assert.NotEqual(Math.Round(L1(fake, gtUsm), 4), Math.Round(L1(fake, gt), 4));
    }

    [Fact]
    public void NoFlag_NeedsNoSharpener_AndAFlagWithoutOne_IsRefused()
    {
        manual_seed(0);
        var g = new SrVggNetCompact(3, 3, 8, 1, 4);
        var optG = new FlatAdam(new FlatParameters(g, withGrad: true), 1e-3);
        _ = new SrganStep(g, null, optG, null, new LossesConfig(), null, 0);
        var e = Assert.Throws<ArgumentException>(() =>
            new SrganStep(g, null, optG, null, new LossesConfig { Pixel = new PixelLossConfig { GtUsm = true } }, null, 0));
        Assert.Contains("gt_usm", e.Message);
    }
}
