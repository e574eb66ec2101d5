using SrTrain.Config;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Config;

/// <summary>BasicSR / traiNNer-redux option files through the real CLI. The files below are written for these tests in
/// BasicSR's vocabulary and use every key of BasicSR's options/train/ESRGAN/train_ESRGAN_x4.yml and
/// options/train/RealESRGAN/train_realesrnet_x4plus.yml (values sized for a test, not copied).</summary>
[Trait("Speed", "process")]
public class BasicSrOptionFileTests
{
    static readonly string Data = Path.Combine(AppContext.BaseDirectory, "TestData", "Training");

    /// <summary>Every key of train_ESRGAN_x4.yml. <paramref name="vggType"/> vgg19 is what BasicSR ships.</summary>
    static string EsrganStyle(string runsDir, string vggType, string layer) => $"""
        name: esrgan_style
        model_type: ESRGANModel
        scale: 4
        num_gpu: 1
        manual_seed: 5
        datasets:
          train:
            name: tiny
            type: PairedImageDataset
            dataroot_gt: {Path.Combine(Data, "train")}
            dataroot_lq: ~
            filename_tmpl: '{"{}"}'
            io_backend:
              type: disk
            gt_size: 32
            use_flip: true
            use_rot: false
            use_shuffle: true
            num_worker_per_gpu: 1
            batch_size_per_gpu: 2
            dataset_enlarge_ratio: 10
            prefetch_mode: ~
          val:
            name: tinyval
            type: PairedImageDataset
            dataroot_gt: {Path.Combine(Data, "val")}
            dataroot_lq: ~
            io_backend:
              type: disk
        network_g:
          type: RRDBNet
          num_in_ch: 3
          num_out_ch: 3
          num_feat: 8
          num_block: 1
        network_d:
          type: UNetDiscriminatorSN
          num_in_ch: 3
          num_feat: 4
        path:
          pretrain_network_g: ~
          strict_load_g: true
          resume_state: ~
        train:
          ema_decay: 0.9
          optim_g:
            type: Adam
            lr: !!float 2e-4
            weight_decay: 0
            betas: [0.9, 0.99]
          optim_d:
            type: Adam
            lr: !!float 1e-4
            weight_decay: 0
            betas: [0.9, 0.99]
          scheduler:
            type: MultiStepLR
            milestones: [2, 3]
            gamma: 0.5
          total_iter: 4
          warmup_iter: -1
          pixel_opt:
            type: L1Loss
            loss_weight: !!float 1e-2
            reduction: mean
          perceptual_opt:
            type: PerceptualLoss
            layer_weights:
              '{layer}': 1
            vgg_type: {vggType}
            use_input_norm: true
            range_norm: false
            perceptual_weight: 0
            style_weight: 0
            criterion: l1
          gan_opt:
            type: GANLoss
            gan_type: vanilla
            real_label_val: 1.0
            fake_label_val: 0.0
            loss_weight: !!float 5e-3
          net_d_iters: 1
          net_d_init_iters: 0
        val:
          val_freq: !!float 4
          save_img: true
          metrics:
            psnr:
              type: calculate_psnr
              crop_border: 4
              test_y_channel: false
        logger:
          print_freq: 2
          save_checkpoint_freq: !!float 2
          use_tb_logger: false
          wandb:
            project: ~
            resume_id: ~
        dist_params:
          backend: nccl
          port: 29500
        runs_dir: {runsDir}
        """;

    /// <summary>Every key of train_realesrnet_x4plus.yml.</summary>
    static string RealEsrnetStyle(string pretrain) => $"""
        name: realesrnet_style
        model_type: RealESRNetModel
        scale: 4
        num_gpu: auto
        manual_seed: 0
        gt_usm: True
        resize_prob: [0.2, 0.7, 0.1]
        resize_range: [0.15, 1.5]
        gaussian_noise_prob: 0.5
        noise_range: [1, 30]
        poisson_scale_range: [0.05, 3]
        gray_noise_prob: 0.4
        jpeg_range: [30, 95]
        second_blur_prob: 0.8
        resize_prob2: [0.3, 0.4, 0.3]
        resize_range2: [0.3, 1.2]
        gaussian_noise_prob2: 0.5
        noise_range2: [1, 25]
        poisson_scale_range2: [0.05, 2.5]
        gray_noise_prob2: 0.4
        jpeg_range2: [30, 95]
        gt_size: 32
        queue_size: 8
        datasets:
          train:
            name: tiny
            type: RealESRGANDataset
            dataroot_gt: {Path.Combine(Data, "train")}
            meta_info: meta.txt
            io_backend:
              type: disk
            blur_kernel_size: 21
            kernel_list: ['iso', 'aniso']
            kernel_prob: [0.5, 0.5]
            sinc_prob: 0.1
            blur_sigma: [0.2, 3]
            betag_range: [0.5, 4]
            betap_range: [1, 2]
            blur_kernel_size2: 21
            kernel_list2: ['iso', 'aniso']
            kernel_prob2: [0.5, 0.5]
            sinc_prob2: 0.1
            blur_sigma2: [0.2, 1.5]
            betag_range2: [0.5, 4]
            betap_range2: [1, 2]
            final_sinc_prob: 0.8
            gt_size: 32
            use_hflip: True
            use_rot: False
            use_shuffle: true
            num_worker_per_gpu: 1
            batch_size_per_gpu: 2
            dataset_enlarge_ratio: 1
            prefetch_mode: ~
        network_g:
          type: RRDBNet
          num_in_ch: 3
          num_out_ch: 3
          num_feat: 8
          num_block: 1
          num_grow_ch: 4
        path:
          pretrain_network_g: {pretrain}
          param_key_g: params_ema
          strict_load_g: true
          resume_state: ~
        train:
          ema_decay: 0.999
          optim_g:
            type: Adam
            lr: !!float 2e-4
            weight_decay: 0
            betas: [0.9, 0.99]
          scheduler:
            type: MultiStepLR
            milestones: [1000000]
            gamma: 0.5
          total_iter: 1000000
          warmup_iter: -1
          pixel_opt:
            type: L1Loss
            loss_weight: 1.0
            reduction: mean
        logger:
          print_freq: 100
          save_checkpoint_freq: !!float 5e3
          use_tb_logger: true
          wandb:
            project: ~
            resume_id: ~
        dist_params:
          backend: nccl
          port: 29500
        """;

    [Fact]
    public void EsrganOptionFile_Trains_WithEveryKeyReadOrNamedAsIgnored()
    {
        using var t = new TrainingTestRun();
        var path = Path.Combine(t.Dir, "train_ESRGAN_x4.yml");
        File.WriteAllText(path, EsrganStyle(t.RunsDir, "vgg16", "relu5_3"));
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", path, "--device", "cpu");
        Assert.True(code == 0, output);
        // One line says how the BasicSR names were read, and which had no effect.
        Assert.Contains("read BasicSR names as SrTrain's: manual_seed → seed", output);
        foreach (var ignored in new[] { "num_gpu", "dist_params", "datasets.train.name", "datasets.train.dataset_enlarge_ratio" })
            Assert.Contains(ignored + " (", output);
        // SrTrain does train data-parallel (README, "Several GPUs or machines"); the notes said it did not.
        Assert.Contains("num_gpu (--device picks the device; started by mpirun or srun, SrTrain trains on one GPU per rank. " +
                        "datasets.train.batch_size is the global batch, so batch_size_per_gpu gives BasicSR's batch on one GPU)", output);
        Assert.Contains("dist_params (mpirun or srun starts the ranks; distributed.backend picks NCCL or MPI)", output);
        Assert.DoesNotContain("one device", output);
        Assert.DoesNotContain("no distributed training", output);

        var c = ConfigLoader.LoadFile(Path.Combine(t.RunsDir, "esrgan_style", "config.yml"));
        Assert.Equal(5, c.Seed);
        Assert.Equal(4, c.Train.TotalSteps);
        Assert.Equal(2, c.Datasets.Train.BatchSize);
        Assert.Equal(1, c.Datasets.Train.NumWorkers);
        Assert.True(c.Datasets.Train.UseHflip);
        Assert.Equal(SchedulerType.MultiStep, c.Train.Scheduler.Type);
        Assert.Equal(new long[] { 2, 3 }, c.Train.Scheduler.Milestones);
        Assert.Equal(0, c.Train.Scheduler.WarmupSteps);
        Assert.Equal(PixelCriterion.L1, c.Losses.Pixel.Criterion);
        Assert.Equal(0.01, c.Losses.Pixel.Weight);
        Assert.Equal(GanType.RaGAN, c.Losses.Gan.Type);       // BasicSR's ESRGANModel is relativistic whatever gan_type says
        Assert.Equal(0.005, c.Losses.Gan.Weight);
        Assert.Equal(2e-4, c.Train.OptimG.Lr);
        Assert.Equal(4, c.Val.ValFreq);
        Assert.Equal(4, c.Val.CropBorder);
        Assert.Equal(2, c.Logger.PrintFreq);
        Assert.Equal(2, c.Checkpoint.SaveFreq);
        Assert.False(c.Logger.UseTensorboard);
        Assert.Contains("Finished at step 4", output);
    }

    [Theory]
    [InlineData("train.total_steps=3", "datasets.train.batch_size=1")]                 // SrTrain's names over BasicSR's
    [InlineData("train.total_iter=3", "datasets.train.batch_size_per_gpu=1")]          // BasicSR's, as --force_yml takes them
    public void Set_OnABasicSrFile_Overrides_WhicheverNameTheFileUsed(string steps, string batch)
    {
        // "'train.total_iter' and its SrTrain name 'total_steps' are both given": the file's total_iter and the
        // override's total_steps met in one merged tree.
        using var t = new TrainingTestRun();
        var path = Path.Combine(t.Dir, "train_ESRGAN_x4.yml");
        File.WriteAllText(path, EsrganStyle(t.RunsDir, "vgg16", "relu5_3"));
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", path, "--set", steps, "--set", batch, "--set", "train.scheduler.milestones=[1]");
        Assert.True(code == 0, output);
        Assert.Contains("Finished at step 3", output);
        var c = ConfigLoader.LoadFile(Path.Combine(t.RunsDir, "esrgan_style", "config.yml"));
        Assert.Equal(3, c.Train.TotalSteps);
        Assert.Equal(1, c.Datasets.Train.BatchSize);
        Assert.Equal(5, c.Seed);                          // the rest of the file is read as before
        Assert.Equal(GanType.RaGAN, c.Losses.Gan.Type);
    }

    [Fact]
    public void EsrganOptionFile_AsBasicSrShipsIt_ReadsItsVgg19Settings()
    {
        // vgg_type vgg19 and its layer names were refused; they are BasicSR's PerceptualLoss settings under SrTrain's names.
        using var t = new TrainingTestRun();
        var path = Path.Combine(t.Dir, "train_ESRGAN_x4.yml");
        File.WriteAllText(path, EsrganStyle(t.RunsDir, "vgg19", "conv5_4"));
        var converted = Path.Combine(t.Dir, "converted.yaml");
        var (code, output) = CliProcess.Run(t.Dir, "convert-config", path, "-o", converted);
        Assert.True(code == 0, output);
        Assert.DoesNotContain("NOT CONVERTED", File.ReadAllText(converted));
        var c = ConfigLoader.LoadFile(converted);
        Assert.Equal("vgg19", c.Losses.Perceptual.VggType);
        Assert.Equal(new Dictionary<string, double> { ["conv5_4"] = 1 }, c.Losses.Perceptual.LayerWeights);
        Assert.True(c.Losses.Perceptual.UseInputNorm);
        Assert.False(c.Losses.Perceptual.RangeNorm);
        Assert.Equal("l1", c.Losses.Perceptual.Criterion);
        Assert.Equal(4, c.Train.TotalSteps);

        // A VGG-16 name with vgg_type vgg19 and the reverse are named with the network they are not in.
        File.WriteAllText(path, EsrganStyle(t.RunsDir, "vgg16", "conv5_4"));
        (code, output) = CliProcess.Run(t.Dir, "train", "--config", path, "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Contains("'losses.perceptual.layer_weights.conv5_4' is not a VGG-16 layer", output);

        // An existing output is not replaced without --overwrite.
        (code, output) = CliProcess.Run(t.Dir, "convert-config", path, "-o", converted);
        Assert.Equal(2, code);
        Assert.Contains("--overwrite", output);
    }

    [Fact]
    public void RealEsrnetOptionFile_IsReadWhole_AndOnlyItsMissingFilesAreNamed()
    {
        // Every degradation setting, gt_usm, the top-level gt_size and meta_info were refused (4 settings).
        using var t = new TrainingTestRun();
        var path = Path.Combine(t.Dir, "train_realesrnet_x4plus.yml");
        File.WriteAllText(path, RealEsrnetStyle("weights/ESRGAN_SRx4.pth"));
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", path, "--device", "cpu");
        Assert.Equal(2, code);
        Assert.DoesNotContain("BasicSR setting(s)", output);
        Assert.Contains("'datasets.train.meta_info': file meta.txt", output);
        Assert.Contains("'path.pretrain_network_g': file weights/ESRGAN_SRx4.pth", output);
        Assert.Contains("31 degradation settings → datasets.train.realesrgan.*", output);

        var converted = Path.Combine(t.Dir, "converted.yaml");
        (code, output) = CliProcess.Run(t.Dir, "convert-config", path, "-o", converted);
        Assert.True(code == 0, output);
        var c = ConfigLoader.LoadFile(converted);
        Assert.Equal(1_000_000, c.Train.TotalSteps);
        Assert.Equal(2, c.Datasets.Train.BatchSize);
        Assert.False(c.Datasets.Train.UseRot);
        Assert.Equal(4, c.NetworkG.NumGrowCh);
        Assert.Equal(0, c.Losses.Gan.Weight);
        Assert.Equal("weights/ESRGAN_SRx4.pth", c.Path.PretrainNetworkG);
        Assert.Equal("params_ema", c.Path.ParamKeyG);
        Assert.Equal(5000, c.Checkpoint.SaveFreq);
        Assert.Equal("meta.txt", c.Datasets.Train.MetaInfo);
        Assert.True(c.Losses.Pixel.GtUsm);
        var r = c.Datasets.Train.Realesrgan;
        Assert.True(r.Enabled);
        Assert.Equal(8, r.QueueSize);
        Assert.Equal(new[] { "iso", "aniso" }, r.KernelList);
        Assert.Equal(new[] { 0.5, 0.5 }, r.KernelProb2);
        Assert.Equal(new[] { 0.15, 1.5 }, r.ResizeRange);
        Assert.Equal(32, c.Datasets.Train.GtSize);
    }

    /// <summary>Real option files as BasicSR and Real-ESRGAN ship them (TestData/Config/BasicSR, see its LICENSES.md).</summary>
    static string Shipped(string dir, string file)
    {
        var path = Path.Combine(dir, file);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "Config", "BasicSR", file), path);
        return path;
    }

    [Theory]
    [InlineData("train_MSRResNet_x4.yml", 4, 4)]   // val_2, 4 cosine periods and their restart weights, NIQE
    [InlineData("train_MSRResNet_x2.yml", 2, 2)]   // 4 cosine periods and their restart weights
    public void BasicSrsMsrResNetFiles_ReadNetworkUpscale_AndConvertConfigWritesTheRest(string file, int scale, int notConverted)
    {
        // "unknown key 'network_g.upscale'" refused these files, and convert-config (which the message recommends) too.
        using var t = new TrainingTestRun();
        var path = Shipped(t.Dir, file);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", path);
        Assert.Equal(2, code);
        Assert.Single(output.Trim().Split('\n'));
        Assert.Contains($"{notConverted} BasicSR setting(s) SrTrain cannot follow", output);
        Assert.DoesNotContain("upscale", output);
        Assert.DoesNotContain("unknown key", output);

        var converted = Path.Combine(t.Dir, "converted.yaml");
        (code, output) = CliProcess.Run(t.Dir, "convert-config", path, "-o", converted);
        Assert.True(code == 0, output);
        Assert.Contains("network_g.upscale (= scale)", output);
        var c = ConfigLoader.LoadFile(converted);
        Assert.Equal(scale, c.Scale);
        Assert.Equal(GeneratorType.MSRResNet, c.NetworkG.Type);
        Assert.Equal(16, c.NetworkG.NumBlock);
        Assert.Equal(64, c.NetworkG.NumFeat);
    }

    [Fact]
    public void ConvertedMsrResNetX2File_Trains_WithTheUsersDataAndSizes()
    {
        using var t = new TrainingTestRun();
        var converted = Path.Combine(t.Dir, "msrresnet_x2.yaml");
        var (code, output) = CliProcess.Run(t.Dir, "convert-config", Shipped(t.Dir, "train_MSRResNet_x2.yml"), "-o", converted);
        Assert.True(code == 0, output);
        (code, output) = CliProcess.Run(t.Dir, "train", "--config", converted, "--name", "x2", "--set", $"runs_dir={t.RunsDir}",
            "--set", $"datasets.train.dataroot_gt={Path.Combine(Data, "train")}", "--set", "datasets.train.dataroot_lq=~",
            "--set", $"datasets.val.dataroot_gt={Path.Combine(Data, "val")}", "--set", "datasets.val.dataroot_lq=~",
            "--set", "path.pretrain_network_g=~", "--set", "datasets.train={gt_size: 32, batch_size: 2, num_workers: 1}",
            "--set", "network_g={num_feat: 8, num_block: 1}", "--set", "train.total_steps=2", "--set", "val.val_freq=2",
            "--set", "checkpoint.save_freq=2", "--set", "logger.use_tensorboard=false");
        Assert.True(code == 0, output);
        Assert.Contains("Generator MSRResNet", output);
        Assert.Contains("Finished at step 2", output);
        Assert.Equal(2, ConfigLoader.LoadFile(Path.Combine(t.RunsDir, "x2", "config.yml")).Scale);
    }

    [Theory]
    [InlineData("[250000]", "[1]", "'train.scheduler.periods: [250000]' differs from the run's 1000000 steps (SrTrain's cosine reaches " +
                                    "eta_min at train.total_steps, BasicSR's at step 250000")]
    [InlineData("[1000000]", "[0.5]", "'train.scheduler.restart_weights: [0.5]' (it scales BasicSR's cosine")]
    [InlineData("[1000000]", "[1]", null)]
    public void CosineOfOnePeriod_IsConverted_OnlyWhenItSpansTheRun(string periods, string weights, string? notConverted)
    {
        // convert-config dropped a single period that differs from total_iter without a word (BasicSR's cosine then
        // reaches eta_min at that step and fails after it; SrTrain's reaches it at total_steps).
        using var t = new TrainingTestRun();
        var path = Shipped(t.Dir, "train_MSRResNet_x2.yml");
        File.WriteAllText(path, File.ReadAllText(path).Replace("periods: [250000, 250000, 250000, 250000]", "periods: " + periods)
            .Replace("restart_weights: [1, 1, 1, 1]", "restart_weights: " + weights));
        var converted = Path.Combine(t.Dir, "converted.yaml");
        var (code, output) = CliProcess.Run(t.Dir, "convert-config", path, "-o", converted);
        Assert.True(code == 0, output);
        var text = File.ReadAllText(converted);
        if (notConverted is null)
        {
            Assert.DoesNotContain("NOT CONVERTED", text);
            Assert.Contains("train.scheduler.periods [1000000] (= train.total_steps)", output);
        }
        else
        {
            Assert.Contains("# NOT CONVERTED: " + notConverted, text);
            (code, output) = CliProcess.Run(t.Dir, "train", "--config", path);
            Assert.Equal(2, code);
            Assert.Contains("1 BasicSR setting(s) SrTrain cannot follow: " + notConverted, output);
        }
        var c = ConfigLoader.LoadFile(converted);
        Assert.Equal(SchedulerType.Cosine, c.Train.Scheduler.Type);
        Assert.Equal(1_000_000, c.Train.TotalSteps);
    }

    [Fact]
    public void NetworkUpscaleThatDiffersFromScale_IsNamed()
    {
        using var t = new TrainingTestRun();
        var path = Shipped(t.Dir, "train_MSRGAN_x4.yml");
        File.WriteAllText(path, File.ReadAllText(path).Replace("  upscale: 4", "  upscale: 2"));
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", path);
        Assert.Equal(2, code);
        Assert.Contains("'network_g.upscale: 2' differs from 'scale: 4'", output);
    }

    [Fact]
    public void FineTuningFromAFileOfAnotherSize_NamesWhatTheFileIs_AndTheSettingsThatFitIt()
    {
        // It listed 630 missing keys and 71 wrong shapes.
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("finetune", "val: {val_freq: 0}\nnetwork_g: {type: RRDBNet, num_feat: 64, num_block: 23, num_grow_ch: 32}\n", totalSteps: 1);
        var file = Path.Combine(AppContext.BaseDirectory, "TestData", "Reference", "rrdbnet_x4_nf16_nb2_gc8.pth");
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg, "--set", $"path.pretrain_network_g={file}");
        Assert.Equal(2, code);
        Assert.Single(output.Trim().Split('\n'), l => l.Contains(" ERR "));
        Assert.Contains($"path.pretrain_network_g: {file} is RRDBNet x4, 16 features, 2 blocks, 8 grow channels; the config builds " +
                        "RRDBNet x4, 64 features, 23 blocks, 32 grow channels. Set network_g.num_feat: 16, network_g.num_block: 2, " +
                        "network_g.num_grow_ch: 8, or give a file of the configured network", output);
        Assert.DoesNotContain("missing keys", output);

        // What it says to set is what fits.
        (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg, "--set", $"path.pretrain_network_g={file}",
            "--set", "network_g.num_feat=16", "--set", "network_g.num_block=2", "--set", "network_g.num_grow_ch=8");
        Assert.True(code == 0, output);
        Assert.Contains($"Generator initialised from {file}", output);

        // Another architecture and scale (BasicSR's train_MSRResNet_x2.yml fine-tunes x2 from an x4 file, non-strictly).
        (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg, "--name", "other", "--set", $"path.pretrain_network_g={file}",
            "--set", "network_g={type: SRVGGNetCompact, num_feat: 8, num_block: 2}", "--set", "scale=2");
        Assert.Equal(2, code);
        Assert.Contains("the config builds SRVGGNetCompact x2, 8 features, 2 blocks. Set network_g.type: RRDBNet, scale: 4, " +
                        "network_g.num_feat: 16, network_g.num_grow_ch: 8, or give a file of the configured network (or set " +
                        "path.strict_load_g: false to load only the layers that fit, as BasicSR does)", output);
    }

    [Fact]
    public void UnknownKeys_AreAllReportedInOnePass_WithSuggestions()
    {
        using var t = new TrainingTestRun();
        var path = Path.Combine(t.Dir, "typos.yaml");
        File.WriteAllText(path, "trian:\n  total_steps: 5\nnetwork_g:\n  num_feats: 8\nval:\n  val_frq: 3\n  bogus_thing: 1\n");
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", path);
        Assert.Equal(2, code);
        Assert.Single(output.Trim().Split('\n'));
        Assert.Contains("4 problems", output);
        Assert.Contains("unknown key 'trian' (did you mean 'train'?)", output);
        Assert.Contains("unknown key 'network_g.num_feats' (did you mean 'network_g.num_feat'?)", output);
        Assert.Contains("unknown key 'val.val_frq' (did you mean 'val.val_freq'?)", output);
        Assert.Contains("unknown key 'val.bogus_thing' (allowed under 'val':", output);
    }
}
