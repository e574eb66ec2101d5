using SrTrain.Runs;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Losses;

/// <summary>The perceptual loss as training builds it from the config: VGG-19 weights from path.vgg19 or from
/// torchvision's cache under $TORCH_HOME, the style term logged as l_g_style, vgg_dist still from VGG-16, and the
/// one-line refusal when no VGG-19 file is found.</summary>
public class PerceptualTrainingTests
{
    const string Vgg19Loss = """
        losses:
          pixel: {weight: 1.0}
          perceptual: {weight: 0.5, style_weight: 2.0, vgg_type: vgg19, criterion: l2, layer_weights: {conv1_2: 0.1, relu2_2: 1.0, conv3_4: 1.0}}
        val: {val_freq: 4}
        logger: {print_freq: 1}
        checkpoint: {save_freq: 4}
        """;

    [Fact]
    public void Vgg19StyleLoss_FromPathVgg19_TrainsAndLogsBothTerms_WhileVggDistUsesPathVgg16()
    {
        using var t = new TrainingTestRun();
        var vgg19 = VggWeightFiles.WriteRandom(Path.Combine(t.Dir, "vgg19.pth"), "vgg19", 3);
        var vgg16 = VggWeightFiles.WriteRandom(Path.Combine(t.Dir, "vgg16.pth"), "vgg16", 4);
        var cfg = t.WriteConfig("vgg19", Vgg19Loss +
            $"\npath: {{vgg19: {TrainingTestRun.YamlPath(vgg19)}, vgg16: {TrainingTestRun.YamlPath(vgg16)}}}\n", totalSteps: 4);

        var result = t.Train(cfg);

        Assert.Equal(4, result.FinalStep);
        var records = MetricsLog.Read(result.RunDir).ToList();
        var train = records.Where(r => r.Kind == "train").ToList();
        Assert.NotEmpty(train);
        Assert.All(train, r => Assert.True(double.IsFinite(r.Values["l_g_percep"]) && r.Values["l_g_style"] > 0));
        var val = Assert.Single(records, r => r.Kind == "val");
        Assert.True(double.IsFinite(val.Values["vgg_dist"]));
    }

    [Fact]
    public void Vgg19_WithEmptyPathVgg19_ComesFromTorchHome_OrIsRefusedInOneLineNamingTheFile()
    {
        using var t = new TrainingTestRun();
        var torchHome = Path.Combine(t.Dir, "torch-home");
        var env = new Dictionary<string, string> { ["TORCH_HOME"] = torchHome };
        var cfg = t.WriteConfig("vgg19-cache", Vgg19Loss, totalSteps: 2);
        var cached = Path.Combine(torchHome, "hub", "checkpoints", "vgg19-dcbb9e9d.pth");

        var (code, output, _) = CliProcess.RunMeasured(t.Dir, env, TimeSpan.FromMinutes(3), "train", "--config", cfg, "--device", "cpu");
        Assert.Equal(2, code);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            l => l.Contains("path.vgg19", StringComparison.Ordinal));
        Assert.Contains(cached, line);
        Assert.DoesNotContain(" at SrTrain", output);

        Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
        VggWeightFiles.WriteRandom(cached, "vgg19", 3);
        (code, output, _) = CliProcess.RunMeasured(t.Dir, env, TimeSpan.FromMinutes(3), "train", "--config", cfg, "--device", "cpu");
        Assert.True(code == 0, output);
        Assert.Contains(cached, output);
    }
}
