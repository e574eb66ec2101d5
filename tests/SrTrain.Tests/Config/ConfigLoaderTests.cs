using SrTrain.Config;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Config;

public class ConfigLoaderTests
{
    [Theory]
    [InlineData("configs/quickstart.yaml")]
    [InlineData("configs/esrgan-x4.yaml")]
    [InlineData("configs/esrgan-x4-translational.yaml")]
    public void ShippedConfigs_Load(string file)
    {
        var c = ConfigLoader.LoadFile(Repo.File(file));
        Assert.False(string.IsNullOrEmpty(c.Name));
        Assert.True(c.Train.TotalSteps > 0);
    }

    [Fact]
    public void Defaults_Apply_ForKeysTheFileOmits()
    {
        var c = ConfigLoader.LoadText("name: x\ntrain:\n  total_steps: 10\n");
        Assert.Equal(10, c.Train.TotalSteps);
        Assert.Equal(1e-4, c.Train.OptimG.Lr);
        Assert.Equal(new[] { 0.9, 0.99 }, c.Train.OptimG.Betas);
        Assert.Equal(GeneratorType.RRDBNet, c.NetworkG.Type);
        Assert.Equal(0.1, c.Losses.Perceptual.LayerWeights["relu1_2"]);
    }

    [Fact]
    public void Values_AreRead_IntoNestedRecords()
    {
        var c = ConfigLoader.LoadText("""
            scale: 2
            network_g: {type: msrresnet, num_feat: 16}
            losses:
              gan: {type: hinge, weight: 0.1, start_step: 5}
              perceptual: {weight: 1, layer_weights: {relu2_2: 0.5}}
            train:
              optim_g: {lr: 2e-4, betas: [0.5, 0.999]}
              scheduler: {type: cosine, warmup_steps: 3}
            """);
        Assert.Equal(2, c.Scale);
        Assert.Equal(GeneratorType.MSRResNet, c.NetworkG.Type);
        Assert.Equal(16, c.NetworkG.NumFeat);
        Assert.Equal(GanType.Hinge, c.Losses.Gan.Type);
        Assert.Equal(5, c.Losses.Gan.StartStep);
        Assert.Equal(new Dictionary<string, double> { ["relu2_2"] = 0.5 }, c.Losses.Perceptual.LayerWeights);
        Assert.Equal(2e-4, c.Train.OptimG.Lr);
        Assert.Equal(new[] { 0.5, 0.999 }, c.Train.OptimG.Betas);
        Assert.Equal(SchedulerType.Cosine, c.Train.Scheduler.Type);
    }

    [Theory]
    [InlineData("trian:\n  total_steps: 5\n", "unknown key 'trian'")]
    [InlineData("train:\n  lr: -1\n", "unknown key 'train.lr'")]
    [InlineData("train:\n  optim_g:\n    lr: -1\n", "'train.optim_g.lr' must be a positive number")]
    [InlineData("train:\n  total_steps: many\n", "'train.total_steps' must be a whole number, got 'many'")]
    [InlineData("scale: 5\n", "'scale' must be 1, 2, 3, 4 or 8")]
    [InlineData("network_g:\n  type: UNet\n", "'network_g.type' is 'UNet', which is not one of")]
    [InlineData("losses:\n  perceptual:\n    weight: 1\n    layer_weights: {relu9_9: 1}\n", "'losses.perceptual.layer_weights.relu9_9' is not a VGG-16 layer")]
    [InlineData("datasets:\n  train:\n    gt_size: 130\n", "'datasets.train.gt_size' must be a positive multiple of scale (4)")]
    [InlineData("losses:\n  translational: {weight: 1, shift: 40}\n", "'losses.translational.shift' 40 is too large")]
    [InlineData("datasets:\n  train: {dataroot_lq: lq}\nlosses:\n  translational: {weight: 1, shift: 4, views: subpixel}\n",
        "'losses.translational.views' SubPixel makes each view's LQ from its own HQ crop, which paired data")]
    [InlineData("scale: 1\nlosses:\n  translational: {weight: 1, shift: 4, views: SubPixel}\n", "'losses.translational.views' SubPixel needs scale 2 or more")]
    [InlineData("train: [1, 2]\n", "'train' must be a mapping")]
    [InlineData("name: x\n  bad indent: [\n", "invalid YAML at line")]
    public void BadConfig_IsRejected_WithTheKeyPath(string yaml, string expected)
    {
        var e = Assert.Throws<SrTrainException>(() => ConfigLoader.LoadText(yaml, "x.yaml"));
        Assert.StartsWith("x.yaml: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void MissingFile_NamesTheFile()
    {
        var e = Assert.Throws<SrTrainException>(() => ConfigLoader.LoadFile("/nonexistent/c.yaml"));
        Assert.Contains("/nonexistent/c.yaml", e.Message);
    }

    [Fact]
    public void ConfigWithAByteOrderMark_Loads()
    {
        // Windows editors write one; it was read as part of the first key ("unknown key '\uFEFFname'").
        using var dir = new SrTrain.Tests.Support.TempDir();
        var path = dir.File("bom.yaml");
        File.WriteAllText(path, "name: bom\nscale: 2\n", new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(0xEF, File.ReadAllBytes(path)[0]);
        var c = ConfigLoader.LoadFile(path);
        Assert.Equal("bom", c.Name);
        Assert.Equal(2, c.Scale);
    }

    [Theory]
    [InlineData("a\nb")]
    [InlineData("tab\there")]
    [InlineData("colon:name")]
    [InlineData("back\\slash")]
    public void RunNameWithAControlOrWindowsReservedCharacter_IsRejected(string name)
    {
        var e = Assert.Throws<SrTrainException>(() => ConfigValidator.Validate(new SrTrainConfig { Name = name }, "--name"));
        Assert.Contains("'name' must not contain control characters", e.Message);
    }

    [Fact]
    public void ResolvedConfig_RoundTrips_ThroughYaml()
    {
        var c = ConfigLoader.LoadFile(Repo.File("configs/esrgan-x4-translational.yaml"));
        var yaml = ConfigWriter.ToYaml(c);
        var again = ConfigLoader.LoadText(yaml);
        Assert.Equal(yaml, ConfigWriter.ToYaml(again));
        Assert.Equal(c.Losses.Translational, again.Losses.Translational);
        Assert.Contains("dataroot_gt:", yaml);
    }

    [Fact]
    public void Overrides_MergeKeyByKey()
    {
        var baseMap = ConfigLoader.ParseYaml("train:\n  total_steps: 10\n  optim_g: {lr: 0.1}\n", "a");
        var over = ConfigLoader.ParseYaml("train:\n  optim_g: {lr: 0.2}\n", "b");
        var c = ConfigLoader.Bind(ConfigLoader.Merge(baseMap, over), "a+b");
        Assert.Equal(10, c.Train.TotalSteps);
        Assert.Equal(0.2, c.Train.OptimG.Lr);
    }

    [Theory]
    [InlineData("NumFeat", "num_feat")]
    [InlineData("DatarootGt", "dataroot_gt")]
    [InlineData("Vgg16", "vgg16")]
    [InlineData("MaxNonfiniteInARow", "max_nonfinite_in_a_row")]
    public void SnakeCase_MatchesBasicSrNames(string pascal, string snake) => Assert.Equal(snake, ConfigLoader.SnakeCase(pascal));
}
