using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Evaluation;
using SrTrain.Models;
using SrTrain.Runtime;
using SrTrain.Tests.Data;
using SrTrain.Tests.Support;
using SrTrain.Training;
using TorchSharp;

namespace SrTrain.Tests.Training;

/// <summary>Validation with RRDBNet at x2 and x1 (issue 14), its crop border, and the translational term's data switch.</summary>
public sealed class ValidationInputTests : IDisposable
{
    readonly TempDir _dir = new("srtrain-val-input");

    public ValidationInputTests()
    {
        NativeRuntime.EnsureLoaded();
        Directory.CreateDirectory(_dir.File("val"));
        Directory.CreateDirectory(_dir.File("train"));
    }

    public void Dispose() => _dir.Dispose();

    static void Photo(string path, int w, int h)
    {
        var rng = new Random(w * 1000 + h);
        using var img = new Image<Rgb24>(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                img[x, y] = new Rgb24((byte)(x * 5 + rng.Next(20)), (byte)(y * 7 + rng.Next(20)), (byte)rng.Next(256));
        img.Save(path);
    }

    SrTrainConfig Config(int scale, string type = "RRDBNet", string extra = "") => ConfigLoader.LoadText($"""
        name: v
        scale: {scale}
        datasets:
          train:
            dataroot_gt: {TrainingTestRun.YamlPath(_dir.File("train"))}
            gt_size: 32
          val:
            dataroot_gt: {TrainingTestRun.YamlPath(_dir.File("val"))}
        network_g:
          type: {type}
          num_feat: 8
          num_block: 1
          num_grow_ch: 4
        {extra}
        """);

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public void RrdbNetAtX2AndX1_Validates_OnOddSizedImages(int scale)
    {
        // LQ 19x15 is on neither the x2 (2-pixel) nor the x1 (4-pixel) unshuffle grid; the default shift_k 3 neither.
        Photo(_dir.File("val", "odd.png"), 19 * scale, 15 * scale);
        var c = Config(scale);
        using var validator = new Validator(c, null, torch.CPU, Serilog.Core.Logger.None);
        using var g = NetworkFactory.CreateGenerator(c.NetworkG, c.Scale);
        var m = validator.Run(g, _dir.File("images", "0"));
        Assert.True(double.IsFinite(m["psnr_y"]));
        Assert.True(double.IsFinite(m["shift_err"]));
        Assert.True(File.Exists(_dir.File("images", "0", "odd.png")));
    }

    [Fact]
    public void ValidationCropBorder_DefaultsToTheScale_AsEvalDoes()
    {
        Photo(_dir.File("val", "a.png"), 40, 32);
        var c = Config(2, "SRVGGNetCompact");
        Assert.Equal(-1, c.Val.CropBorder);
        using var validator = new Validator(c, null, torch.CPU, Serilog.Core.Logger.None);
        var pairs = ValidationSet.LoadValidationSet(_dir.File("val"), null, 2, InputLimits.DefaultMaxImagePixels, Serilog.Core.Logger.None);
        using var scope = torch.NewDisposeScope();
        var (evalMetrics, _) = ImageMetrics.Measure("a", lq => MatlabResize.Resize(lq, 2).clamp(0, 1), pairs[0].Lq, pairs[0].Hq,
            2, cropBorder: 2, shiftK: 3, vgg: null, torch.CPU);
        Assert.Equal(evalMetrics["psnr_y"], validator.Baseline["psnr_y"], 9);
        foreach (var p in pairs) p.Dispose();
    }

    [Fact]
    public void TranslationalTermSwitchingOn_WarnsAboutImagesThatDropOut()
    {
        Photo(_dir.File("train", "big1.png"), 48, 48);
        Photo(_dir.File("train", "big2.png"), 48, 48);
        Photo(_dir.File("train", "small.png"), 36, 36); // >= gt_size 32, < 32 + 4·2
        var c = Config(4, "SRVGGNetCompact", """
            losses:
              translational:
                weight: 1
                start_step: 2
                shift: 2
            """);
        c = c with { Datasets = c.Datasets with { Train = c.Datasets.Train with { BatchSize = 1, NumWorkers = 1 } } };
        var sink = new CollectingSink();
        using var data = new PipelineTrainingData(c, sink.CreateLogger());
        data.Start(0);
        data.Next(0).Dispose();
        Assert.DoesNotContain(sink.Warnings, w => w.Contains("translational"));
        data.Next(2).Dispose();
        Assert.Contains(sink.Warnings, w => w.Contains("translational term") && w.Contains("1 of 3"));
    }
}
