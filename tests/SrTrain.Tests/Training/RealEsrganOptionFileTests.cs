using SrTrain.Config;
using SrTrain.Interop;
using SrTrain.Runtime;
using SrTrain.Tests.Support;
using SrTrain.Training;
using static TorchSharp.torch;

namespace SrTrain.Tests.Training;

/// <summary>Real-ESRGAN's six option files (TestData/Config/RealEsrgan, unchanged copies) run as they are: they load with
/// nothing refused, only their missing files are named, and each trains through the CLI with --set for its paths and,
/// to fit the suite on 2 CPU cores, its sizes (<see cref="Small"/>). The ESRNet → ESRGAN flow starts the GAN from the
/// ESRNet run's saved generator (params_ema) and a BasicSR discriminator file (params).</summary>
[Trait("Speed", "process")]
public class RealEsrganOptionFileTests
{
    public RealEsrganOptionFileTests() => NativeRuntime.EnsureLoaded();

    static readonly string[] FileNames =
    [
        "train_realesrnet_x4plus.yml", "train_realesrnet_x2plus.yml", "train_realesrgan_x4plus.yml",
        "train_realesrgan_x2plus.yml", "finetune_realesrgan_x4plus.yml", "finetune_realesrgan_x4plus_pairdata.yml",
    ];

    public static readonly TheoryData<string> Files = new(FileNames);

    static string Shipped(string file) => Path.Combine(AppContext.BaseDirectory, "TestData", "Config", "RealEsrgan", file);

    [Theory]
    [MemberData(nameof(Files))]
    public void LoadsWithNothingRefused_AsBasicSrWouldRunIt(string file)
    {
        var notes = new List<string>();
        var c = ConfigLoader.LoadFile(Shipped(file), note: notes.Add);
        Assert.Single(notes);
        Assert.DoesNotContain("NOT", notes[0]);
        bool net = file.Contains("realesrnet"), paired = file.Contains("pairdata"), x2 = file.Contains("x2plus");
        Assert.Equal(x2 ? 2 : 4, c.Scale);
        Assert.Equal(256, c.Datasets.Train.GtSize);
        Assert.Equal(12, c.Datasets.Train.BatchSize);
        Assert.Equal(GeneratorType.RRDBNet, c.NetworkG.Type);
        Assert.Equal(23, c.NetworkG.NumBlock);
        Assert.Equal("params_ema", c.Path.ParamKeyG);
        Assert.Equal(!x2 || !net, c.Path.StrictLoadG);       // train_realesrnet_x2plus starts from the x4 model non-strictly
        Assert.EndsWith(paired ? "meta_info_DIV2K_sub_pair.txt" : "meta_info_DF2Kmultiscale+OST_sub.txt", c.Datasets.Train.MetaInfo);

        // The degradation: on for RealESRNetModel/RealESRGANModel unless high_order_degradation: false (the paired file).
        var r = c.Datasets.Train.Realesrgan;
        Assert.Equal(!paired, r.Enabled);
        Assert.Equal(paired ? "datasets/DF2K" : "", c.Datasets.Train.DatarootLq);
        if (!paired)
        {
            Assert.Equal(180, r.QueueSize);
            Assert.Equal(new[] { 0.45, 0.25, 0.12, 0.03, 0.12, 0.03 }, r.KernelProb);
            Assert.Equal(new[] { 0.2, 1.5 }, r.BlurSigma2);
            Assert.Equal(new[] { 0.3, 0.4, 0.3 }, r.ResizeProb2);
            Assert.Equal(new[] { 0.05, 2.5 }, r.PoissonScaleRange2);
            Assert.Equal(0.8, r.FinalSincProb);
        }

        // USM: RealESRNetModel's gt_usm sharpens the GT of its (pixel) loss; RealESRGANModel's switches pick each loss's GT.
        Assert.True(c.Losses.Pixel.GtUsm);
        Assert.Equal(!net, c.Losses.Perceptual.Weight > 0);
        Assert.False(c.Losses.Gan.GtUsm);
        if (!net)
        {
            Assert.True(c.Losses.Perceptual.GtUsm);
            Assert.Equal("vgg19", c.Losses.Perceptual.VggType);
            Assert.Equal(new Dictionary<string, double> { ["conv1_2"] = 0.1, ["conv2_2"] = 0.1, ["conv3_4"] = 1, ["conv4_4"] = 1, ["conv5_4"] = 1 },
                c.Losses.Perceptual.LayerWeights);
            Assert.Equal("l1", c.Losses.Perceptual.Criterion);
            Assert.Equal(GanType.Vanilla, c.Losses.Gan.Type);
            Assert.Equal(0.1, c.Losses.Gan.Weight);
            Assert.Equal(DiscriminatorType.UNetDiscriminatorSN, c.NetworkD.Type);
        }
        else Assert.Equal(0, c.Losses.Gan.Weight);
        Assert.Equal(file.StartsWith("finetune") ? "experiments/pretrained_models/RealESRGAN_x4plus_netD.pth" : "", c.Path.PretrainNetworkD);
        Assert.Equal(file.StartsWith("finetune") ? "params" : "", c.Path.ParamKeyD);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void AsShipped_OnlyTheMissingFilesAreNamed_EachWithItsKey(string file)
    {
        using var dir = new TempDir();
        var (code, output) = CliProcess.Run(dir.Path, "train", "--config", Shipped(file), "--device", "cpu");
        Assert.Equal(2, code);
        var error = Assert.Single(output.Trim().Split('\n'), l => l.Contains(" ERR "));
        Assert.DoesNotContain("BasicSR setting(s)", error);
        Assert.DoesNotContain("unknown key", error);
        Assert.Contains("'datasets.train.dataroot_gt': folder datasets/DF2K", error);
        Assert.Contains("'datasets.train.meta_info': file datasets/DF2K/meta_info/", error);
        Assert.Contains("'path.pretrain_network_g': file experiments/pretrained_models/", error);
        Assert.Equal(file.StartsWith("finetune"), error.Contains("'path.pretrain_network_d': file experiments/pretrained_models/RealESRGAN_x4plus_netD.pth"));
        // Every complaint is a missing file.
        // Every complaint is a missing file: each "'key': " names a folder or file that is "not found".
        var keys = System.Text.RegularExpressions.Regex.Matches(error, @"'([a-z_.0-9]+)': ").Select(m => m.Groups[1].Value).ToList();
        Assert.All(keys, k => Assert.Matches(@"^(datasets\.train|path)\.", k));
        Assert.Equal(keys.Count, System.Text.RegularExpressions.Regex.Matches(error, @"': (folder|file) ").Count);
        Assert.Equal(keys.Count, System.Text.RegularExpressions.Regex.Matches(error, @" not found").Count);    }

    [Fact]
    public void ConvertConfig_ConvertsEverySetting()
    {
        using var dir = new TempDir();
        foreach (var file in FileNames)
        {
            var converted = Path.Combine(dir.Path, file + ".yaml");
            var (code, output) = CliProcess.Run(dir.Path, "convert-config", Shipped(file), "-o", converted);
            Assert.True(code == 0, output);
            Assert.Contains("(0 setting(s) not converted)", output);
            Assert.DoesNotContain("NOT CONVERTED", File.ReadAllText(converted));
            var (shipped, read) = (ConfigLoader.LoadFile(Shipped(file)), ConfigLoader.LoadFile(converted));
            Assert.Equal(shipped.Datasets.Train.Realesrgan.Enabled, read.Datasets.Train.Realesrgan.Enabled);
            Assert.Equal(shipped.Datasets.Train.Realesrgan.KernelProb2, read.Datasets.Train.Realesrgan.KernelProb2);
            Assert.Equal(shipped.Losses.Perceptual.LayerWeights, read.Losses.Perceptual.LayerWeights);
            Assert.Equal(shipped.Losses.Pixel.GtUsm, read.Losses.Pixel.GtUsm);
            Assert.Equal(shipped.Path.StrictLoadG, read.Path.StrictLoadG);
        }
    }

    /// <summary>Sizes for 2 CPU cores: one 64 px patch per step, RRDBNet and UNetDiscriminatorSN of 8 features, one
    /// block, 2 steps, a 96 px crop instead of 400 before the degradation, one worker. Everything else is the file's.</summary>
    static readonly string[] Small =
    [
        "--set", "datasets.train.batch_size_per_gpu=1", "--set", "datasets.train.gt_size=64", "--set", "gt_size=64",
        "--set", "datasets.train.num_worker_per_gpu=1", "--set", "network_g={num_feat: 8, num_block: 1, num_grow_ch: 4}",
        "--set", "network_d.num_feat=8", "--set", "train.total_iter=2", "--set", "datasets.train.realesrgan.crop_pad_size=96",
        "--set", "logger.use_tb_logger=false",
    ];

    /// <summary>The sample photos (datasets/sample/train) listed in a meta_info file as Real-ESRGAN's
    /// generate_meta_info.py writes one; the paired file gets the x4 pairs of TestData/Data in "gt, lq" lines.</summary>
    static string[] Paths(string dir, string file, string? pretrainG = null, string? pretrainD = null)
    {
        var sets = new List<string> { "--set", $"runs_dir={Path.Combine(dir, "runs")}", "--set", $"path.vgg19={Vgg19(dir)}",
            "--set", $"path.pretrain_network_g={pretrainG ?? "~"}" };
        if (file.StartsWith("finetune")) sets.AddRange(["--set", $"path.pretrain_network_d={pretrainD ?? "~"}"]);
        var meta = Path.Combine(dir, "meta_info.txt");
        if (file.Contains("pairdata"))
        {
            var data = Path.Combine(AppContext.BaseDirectory, "TestData", "Data");
            File.WriteAllText(meta, "chelsea_hq.png, chelsea_lqx4.png\ncoffee_hq.png, coffee_lqx4.png\n");
            sets.AddRange(["--set", $"datasets.train.dataroot_gt={data}", "--set", $"datasets.train.dataroot_lq={data}"]);
        }
        else
        {
            var sample = Repo.File("datasets", "sample", "train");
            File.WriteAllLines(meta, Directory.GetFiles(sample).Order().Select(p => Path.GetFileName(p) + " (512,512,3)"));
            sets.AddRange(["--set", $"datasets.train.dataroot_gt={sample}"]);
        }
        sets.AddRange(["--set", $"datasets.train.meta_info={meta}"]);
        return [.. sets];
    }

    /// <summary>VGG-19 weights in torchvision's layout made by a formula (the perceptual loss needs the file, not ImageNet's values).</summary>
    static string Vgg19(string dir)
    {
        var path = Path.Combine(dir, "vgg19-random.pth");
        if (File.Exists(path)) return path;
        return VggWeightFiles.WriteRandom(path, "vgg19", 1);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void TrainsTwoSteps_WithItsPathsAndSizesSet(string file)
    {
        using var dir = new TempDir();
        var (code, output) = CliProcess.Run(dir.Path, ["train", "--config", Shipped(file), "--device", "cpu", .. Paths(dir.Path, file), .. Small]);
        Assert.True(code == 0, output);
        Assert.Contains("Finished at step 2", output);
        // The images meta_info lists; LQ synthesised unless high_order_degradation is false (then the listed pairs').
        Assert.Contains(file.Contains("pairdata") ? "Training data: 2 image(s)" : "Training data: 5 image(s)", output);
        Assert.Equal(!file.Contains("pairdata"), output.Contains("LQ by Real-ESRGAN's high-order degradation of 96 px crops, pool of 180"));
        // RealESRNetModel: gt_usm for its only loss; RealESRGANModel: l1_gt_usm and percep_gt_usm (gan_gt_usm is off).
        Assert.Contains(file.Contains("realesrnet") ? "USM-sharpened GT (BasicSR's USMSharp) for the pixel loss(es)"
            : "USM-sharpened GT (BasicSR's USMSharp) for the pixel, perceptual loss(es)", output);
    }

    /// <summary>BasicSR's UNetDiscriminatorSN file (TestData/Reference/unet_disc_sn_nf8.pth, spectral norm's weight_orig,
    /// weight_u, weight_v) saved as BasicSR's save_network does: {'params': state_dict}.</summary>
    static string BasicSrDiscriminator(string dir)
    {
        var path = Path.Combine(dir, "net_d_basicsr.pth");
        var sd = WeightFile.Read(Path.Combine(AppContext.BaseDirectory, "TestData", "Reference", "unet_disc_sn_nf8.pth"));
        WeightFile.Write(sd, path, PthWrapping.Params);
        return path;
    }

    [Fact]
    public void EsrnetThenEsrgan_TheGanStartsFromTheEsrnetsParamsEma_AndBasicSrsDiscriminator()
    {
        using var dir = new TempDir();
        // 1. A tiny RealESRNet (x4, 2 steps) through the CLI.
        var (code, output) = CliProcess.Run(dir.Path, ["train", "--config", Shipped("train_realesrnet_x4plus.yml"), "--device", "cpu",
            "--name", "esrnet", .. Paths(dir.Path, "train_realesrnet_x4plus.yml"), .. Small]);
        Assert.True(code == 0, output);
        var esrnet = Directory.GetFiles(Path.Combine(dir.Path, "runs", "esrnet"), "net_g_ema.pth", SearchOption.AllDirectories).Single();

        // 2. finetune_realesrgan_x4plus.yml from it: pretrain_network_g + param_key_g params_ema, and a BasicSR D file.
        var netD = BasicSrDiscriminator(dir.Path);
        var sets = Paths(dir.Path, "finetune_realesrgan_x4plus.yml", esrnet, netD).Concat(Small).Where(s => s != "--set");
        var config = ConfigLoader.Bind([ConfigLoader.ReadYamlFile(Shipped("finetune_realesrgan_x4plus.yml")), .. sets.Select(ConfigLoader.SetOverride)], "finetune");
        Assert.Equal("params_ema", config.Path.ParamKeyG);
        Assert.Equal("params", config.Path.ParamKeyD);
        config = config with { Datasets = config.Datasets with { Train = config.Datasets.Train with { NumWorkers = 0 } } };
        using var parts = TrainingSetup.Build(config, CPU, Serilog.Core.Logger.None);

        // Step 0's G is the file's params_ema, entry by entry; D is the BasicSR file's params, u and v included.
        var wantG = WeightFile.Read(esrnet, "params_ema");
        var g = parts.G.state_dict();
        Assert.Equal(wantG.Keys.Order(), g.Keys.Order());
        foreach (var (k, v) in wantG) Assert.True(v.eq(g[k]).all().item<bool>(), k);
        var wantD = WeightFile.Read(netD, "params");
        var d = parts.D!.state_dict();
        Assert.Equal(wantD.Keys.Order(), d.Keys.Order());
        foreach (var (k, v) in wantD) Assert.True(v.eq(d[k]).all().item<bool>(), k);

        // The run itself: two GAN steps from there through the CLI.
        (code, output) = CliProcess.Run(dir.Path, ["train", "--config", Shipped("finetune_realesrgan_x4plus.yml"), "--device", "cpu",
            "--name", "esrgan", .. Paths(dir.Path, "finetune_realesrgan_x4plus.yml", esrnet, netD), .. Small]);
        Assert.True(code == 0, output);
        Assert.Contains($"Generator initialised from {esrnet}", output);
        Assert.Contains($"Discriminator initialised from {netD} (params)", output);
        Assert.Contains("Finished at step 2", output);
    }

    static string TrainingData(string file) => Path.Combine(AppContext.BaseDirectory, "TestData", "Training", file);

    static void AssertWeights(IReadOnlyDictionary<string, Tensor> want, nn.Module net)
    {
        var have = net.state_dict();
        Assert.Equal(want.Keys.Order(), have.Keys.Order());
        foreach (var (k, v) in want) Assert.True(v.eq(have[k]).all().item<bool>(), k);
    }

    [Theory]
    [InlineData("params", "params")]
    [InlineData("params_ema", "params_ema")]
    [InlineData("", "params_ema")]            // SrTrain's default: params_ema, else params
    [InlineData("net_g_best", "params")]      // BasicSR's load_network: a key the file lacks falls back to params
    public void ParamKeyG_PicksTheEntryOfABasicSrFile(string paramKey, string entry)
    {
        // A file as BasicSR's save_network writes it for a model with EMA: both entries, different values (made by
        // torch.save, scripts/reference/make_param_key_reference.py).
        var file = TrainingData("srvgg_x4_nf8_nc1.params_and_ema.pth");
        using var t = new TrainingTestRun();
        var c = ConfigLoader.LoadFile(t.WriteConfig("keys", "network_g: {type: SRVGGNetCompact, num_feat: 8, num_block: 1}\n" +
                                                            $"path: {{pretrain_network_g: {file}, param_key_g: '{paramKey}'}}\n"));
        using var parts = TrainingSetup.Build(c with { Datasets = c.Datasets with { Val = new ValDataConfig() } }, CPU, Serilog.Core.Logger.None);
        var want = WeightFile.Read(file, entry);
        AssertWeights(want, parts.G);
        var other = WeightFile.Read(file, entry == "params" ? "params_ema" : "params");
        Assert.False(other["body.0.weight"].eq(want["body.0.weight"]).all().item<bool>());
    }

    [Theory]
    [InlineData("params")]
    [InlineData("")]
    public void PretrainNetworkD_LoadsBasicSrsSpectralNormDiscriminator(string paramKey)
    {
        using var t = new TrainingTestRun();
        var netD = BasicSrDiscriminator(t.Dir);
        var c = ConfigLoader.LoadFile(t.WriteConfig("d", "network_d: {type: UNetDiscriminatorSN, num_feat: 8}\nlosses: {gan: {weight: 0.1, type: vanilla}}\n" +
                                                         $"path: {{pretrain_network_d: {netD}, param_key_d: '{paramKey}'}}\n"));
        using var parts = TrainingSetup.Build(c with { Datasets = c.Datasets with { Val = new ValDataConfig() } }, CPU, Serilog.Core.Logger.None);
        // weight_orig, weight_u and weight_v as BasicSR's spectral_norm saved them, and the biases.
        var want = WeightFile.Read(netD, "params");
        Assert.Contains("conv1.weight_u", want.Keys);
        AssertWeights(want, parts.D!);
    }

    [Fact]
    public void PretrainNetworkD_OfAnotherSize_IsNamed_AndWithStrictLoadDFalseWhatFitsLoads()
    {
        using var t = new TrainingTestRun();
        var netD = BasicSrDiscriminator(t.Dir);
        var cfg = t.WriteConfig("d", "network_d: {type: UNetDiscriminatorSN, num_feat: 4}\nlosses: {gan: {weight: 0.1, type: vanilla}}\n" +
                                     $"path: {{pretrain_network_d: {netD}}}\nval: {{val_freq: 0}}\n", totalSteps: 1);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg);
        Assert.Equal(2, code);
        Assert.Contains($"the weights in path.pretrain_network_d ({netD}) do not fit the UNetDiscriminatorSN network", output);
        Assert.Contains("wrong shapes", output);

        // BasicSR's strict_load_d: false loads what fits by name and shape (here the 1-channel output's bias) and says what not.
        (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg, "--set", "path.strict_load_d=false");
        Assert.True(code == 0, output);
        Assert.Contains($"path.strict_load_d false: ", output);
        Assert.Contains("conv1.weight_orig (file [16, 8, 4, 4], network [8, 4, 4, 4])", output);
        Assert.DoesNotContain("conv9.bias", output);
    }

    [Fact]
    public void StrictLoadGFalse_StartsAnX2NetworkFromAnX4File_AsTrainRealesrnetX2plusDoes()
    {
        // RRDBNet x2 takes 12 channels in conv_first (pixel-unshuffled input): the x4 file's conv_first.weight does not
        // fit and stays as initialised; everything else loads (BasicSR's load_network with strict=False).
        var file = Path.Combine(AppContext.BaseDirectory, "TestData", "Reference", "rrdbnet_x4_nf16_nb2_gc8.pth");
        using var t = new TrainingTestRun();
        var sink = new Data.CollectingSink();
        var c = ConfigLoader.LoadFile(t.WriteConfig("x2", "scale: 2\nnetwork_g: {type: RRDBNet, num_feat: 16, num_block: 2, num_grow_ch: 8}\n" +
                                                          $"path: {{pretrain_network_g: {file}, strict_load_g: false}}\n"));
        using var parts = TrainingSetup.Build(c with { Datasets = c.Datasets with { Val = new ValDataConfig() } }, CPU, sink.CreateLogger());
        var want = WeightFile.Read(file);
        var have = parts.G.state_dict();
        Assert.Equal(want.Keys.Order(), have.Keys.Order());
        foreach (var (k, v) in want)
            Assert.Equal(k != "conv_first.weight", v.shape.SequenceEqual(have[k].shape) && v.eq(have[k]).all().item<bool>());
        Assert.Contains(sink.Warnings, w => w.Contains("path.strict_load_g false: 1 entr(ies)") && w.Contains("conv_first.weight (file [16, 3, 3, 3], network [16, 12, 3, 3])"));

        // Strict (the default), the same file is refused with what it is.
        var e = Assert.Throws<SrTrainException>(() => TrainingSetup.Build(c with { Path = c.Path with { StrictLoadG = true }, Datasets = c.Datasets with { Val = new ValDataConfig() } },
            CPU, Serilog.Core.Logger.None));
        Assert.Contains("or set path.strict_load_g: false", e.Message);
    }

    [Fact]
    public void ParamKeyG_PicksTheEntry_AndAMissingOneIsNamed()
    {
        using var dir = new TempDir();
        var flat = Path.Combine(AppContext.BaseDirectory, "TestData", "Reference", "rrdbnet_x4_nf16_nb2_gc8.pth");
        var sd = WeightFile.Read(flat);
        var onlyParams = Path.Combine(dir.Path, "params.pth");
        WeightFile.Write(sd, onlyParams, PthWrapping.Params);
        // BasicSR's load_network: a missing param_key falls back to params.
        Assert.Equal(sd.Keys, WeightFile.Read(onlyParams, "params_ema").Keys);
        var e = Assert.Throws<SrTrainException>(() => WeightFile.Read(flat, "params_ema"));
        Assert.Contains("has no 'params_ema' entry (nor 'params')", e.Message);
    }
}
