using SrTrain.Config;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Config;

/// <summary>ConfigValidator on datasets.train.realesrgan: every value BasicSR's RealESRGANDataset and
/// RealESRGANModel.feed_data could not use is refused at start-up in one line naming the key.</summary>
public class RealEsrganValidationTests
{
    static SrTrainConfig Load(string realesrgan, string train = "", string extra = "") => ConfigLoader.LoadText($"""
        datasets:
          train:
            dataroot_gt: data
            gt_size: 64
            batch_size: 4
        {train}
            realesrgan:
              enabled: true
        {(realesrgan.Contains("crop_pad_size") ? "" : "      crop_pad_size: 80")}
        {realesrgan}
        {extra}
        """);

    static string Refused(string realesrgan, string train = "", string extra = "") =>
        Assert.Throws<SrTrainException>(() => Load(realesrgan, train, extra)).Message;

    [Fact]
    public void Defaults_AreValid_AndOffTheyAreNotChecked()
    {
        var c = Load("");
        Assert.True(c.Datasets.Train.Realesrgan.Enabled);
        // Off, even a value that could not work stands in nobody's way (it is never used).
        ConfigLoader.LoadText("datasets: {train: {dataroot_gt: d, realesrgan: {enabled: false, kernel_prob: [0, 0]}}}");
    }

    [Theory]
    [InlineData("sinc_prob: 1.5", "'datasets.train.realesrgan.sinc_prob' is 1.5; a probability must be in [0, 1]")]
    [InlineData("gray_noise_prob2: -0.1", "'datasets.train.realesrgan.gray_noise_prob2'")]
    [InlineData("final_sinc_prob: 2", "'datasets.train.realesrgan.final_sinc_prob'")]
    [InlineData("second_blur_prob: 1.01", "'datasets.train.realesrgan.second_blur_prob'")]
    [InlineData("resize_prob: [0.5, 0.5]", "'datasets.train.realesrgan.resize_prob' has 2 weight(s) but [up, down, keep] has 3")]
    [InlineData("resize_prob2: [0, 0, 0]", "'datasets.train.realesrgan.resize_prob2' are all 0: nothing can be drawn")]
    [InlineData("resize_prob: [0.2, -0.7, 1]", "'datasets.train.realesrgan.resize_prob' must be non-negative numbers")]
    [InlineData("kernel_prob: [0.45, 0.25]", "'datasets.train.realesrgan.kernel_prob' has 2 weight(s) but kernel_list has 6")]
    [InlineData("kernel_list2: [iso, gaussian]\n      kernel_prob2: [1, 1]", "'datasets.train.realesrgan.kernel_list2' names 'gaussian', which is not one of iso, aniso")]
    [InlineData("blur_sigma: [3, 0.2]", "'datasets.train.realesrgan.blur_sigma' [3, 0.2] must be ordered")]
    [InlineData("betag_range2: [0, 4]", "'datasets.train.realesrgan.betag_range2' [0, 4] must be positive")]
    [InlineData("resize_range: [0.15]", "'datasets.train.realesrgan.resize_range' must be [min, max] (two numbers), got 1")]
    [InlineData("noise_range: [-1, 30]", "'datasets.train.realesrgan.noise_range' [-1, 30] must be 0 or more")]
    [InlineData("jpeg_range2: [30, 101]", "'datasets.train.realesrgan.jpeg_range2' [30, 101] must lie within [0, 100] (DiffJPEG's quality)")]
    [InlineData("queue_size: 6", "'datasets.train.realesrgan.queue_size' is 6; the pool must be 0 (none) or a multiple of datasets.train.batch_size (4)")]
    [InlineData("queue_size: -4", "'datasets.train.realesrgan.queue_size'")]
    [InlineData("crop_pad_size: 60", "'datasets.train.realesrgan.crop_pad_size' is 60, smaller than the HQ patch cut from it (64: gt_size)")]
    public void ImpossibleValues_AreRefused_NamingTheKey(string setting, string message)
    {
        var text = Refused("      " + setting);
        Assert.Contains(message, text);
        Assert.DoesNotContain("\n", text);
    }

    [Fact]
    public void RandomChoicesWeights_NeedNotSumToOne()
    {
        // BasicSR draws with random.choices, which normalises any non-negative weights.
        var c = Load("      resize_prob: [2, 7, 1]\n      kernel_list: [iso, aniso]\n      kernel_prob: [3, 0]");
        Assert.Equal(new[] { 3.0, 0 }, c.Datasets.Train.Realesrgan.KernelProb);
    }

    [Fact]
    public void CropPadSize_CoversTheTranslationalFullPatch()
    {
        var text = Refused("", extra: "losses: {translational: {weight: 0.1, shift: 8}}");
        Assert.Contains("'datasets.train.realesrgan.crop_pad_size' is 80, smaller than the HQ patch cut from it (96: gt_size + scale·shift)", text);
    }

    [Theory]
    [InlineData("    dataroot_lq: lq", "'datasets.train.dataroot_lq' is set while datasets.train.realesrgan.enabled synthesises the LQ")]
    [InlineData("    noise_prob: 0.5", "'datasets.train.noise_prob' is SrTrain's own LQ noise, which does not combine with datasets.train.realesrgan")]
    [InlineData("    jpeg_prob: 0.5", "'datasets.train.jpeg_prob' is SrTrain's own LQ JPEG")]
    public void SrTrainsOwnLqSettings_DoNotCombineWithIt(string train, string message) =>
        Assert.Contains(message, Refused("", train));

    [Fact]
    [Trait("Speed", "process")]
    public void ThroughTheCli_OneLine_ExitCode2()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "bad.yml");
        File.WriteAllText(path, "datasets: {train: {dataroot_gt: data, realesrgan: {enabled: true, jpeg_range: [30, 120]}}}\n");
        var (code, output) = CliProcess.Run(dir.Path, "train", "--config", path);
        Assert.Equal(2, code);
        Assert.Single(output.Trim().Split('\n'));
        Assert.Contains("'datasets.train.realesrgan.jpeg_range' [30, 120] must lie within [0, 100]", output);
    }
}
