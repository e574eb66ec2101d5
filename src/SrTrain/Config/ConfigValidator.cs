
namespace SrTrain.Config;

/// <summary>Rejects impossible values at start-up, naming the key's path and the reason, so a typo costs seconds
/// instead of a crashed run hours later. The first problem found is reported.</summary>
internal static class ConfigValidator
{
    public static void Validate(SrTrainConfig c, string source)
    {
        void Require(bool ok, string path, string why)
        {
            if (!ok) throw new SrTrainException($"{source}: '{path}' {why}");
        }

        Require(!string.IsNullOrWhiteSpace(c.Name) && c.Name.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) < 0 && c.Name != "." && c.Name != "..",
            "name", "must be a non-empty folder name");
        // A newline in a name splits log lines and shell commands; the other characters are not allowed in a Windows
        // folder name, and a run folder must move between systems.
        Require(!c.Name.Any(char.IsControl) && c.Name.IndexOfAny(['\\', '/', ':', '*', '?', '"', '<', '>', '|']) < 0,
            "name", "must not contain control characters (a newline, a tab) or any of \\ / : * ? \" < > |");
        // File systems allow 255 bytes per name; a branch adds "-from<step>-translational" to it.
        Require(System.Text.Encoding.UTF8.GetByteCount(c.Name) <= MaxNameBytes, "name",
            $"is {System.Text.Encoding.UTF8.GetByteCount(c.Name)} bytes long; a run name may have at most {MaxNameBytes} (it becomes a folder name)");
        ValidateBounds(c, Require);
        Require(c.Scale is 1 or 2 or 3 or 4 or 8, "scale", "must be 1, 2, 3, 4 or 8");
        Require(c.Scale != 3 || c.NetworkG.Type != GeneratorType.RRDBNet, "scale", "3 is supported by MSRResNet and SRVGGNetCompact only");

        var d = c.Datasets.Train;
        Require(d.GtSize > 0 && d.GtSize % c.Scale == 0, "datasets.train.gt_size", $"must be a positive multiple of scale ({c.Scale})");
        Require(d.BatchSize >= 1, "datasets.train.batch_size", "must be at least 1");
        Require(d.NumWorkers >= 0, "datasets.train.num_workers", "must be 0 or more");
        Require(d.PrefetchBatches >= 1, "datasets.train.prefetch_batches", "must be at least 1");
        Require(d.MaxImagePixels > 0, "datasets.train.max_image_pixels", "must be positive");
        Require(d.NoiseProb is >= 0 and <= 1, "datasets.train.noise_prob", "must be between 0 and 1");
        Require(d.JpegProb is >= 0 and <= 1, "datasets.train.jpeg_prob", "must be between 0 and 1");
        Require(d.NoiseRange.Length == 2 && d.NoiseRange[0] >= 0 && d.NoiseRange[0] <= d.NoiseRange[1], "datasets.train.noise_range", "must be [min, max] with 0 <= min <= max");
        Require(d.JpegRange.Length == 2 && d.JpegRange[0] >= 1 && d.JpegRange[0] <= d.JpegRange[1] && d.JpegRange[1] <= 100, "datasets.train.jpeg_range", "must be [min, max] within 1..100");

        var g = c.NetworkG;
        Require(g.NumInCh >= 1, "network_g.num_in_ch", "must be at least 1");
        Require(g.NumOutCh >= 1, "network_g.num_out_ch", "must be at least 1");
        Require(g.NumFeat >= 1, "network_g.num_feat", "must be at least 1");
        Require(g.NumBlock >= 1, "network_g.num_block", "must be at least 1");
        Require(g.NumGrowCh >= 1, "network_g.num_grow_ch", "must be at least 1");
        Require(c.NetworkD.NumFeat >= 1, "network_d.num_feat", "must be at least 1");

        var l = c.Losses;
        Require(l.Pixel.Weight >= 0, "losses.pixel.weight", "must be 0 or more");
        Require(l.Pixel.Eps > 0, "losses.pixel.eps", "must be positive");
        Require(l.Perceptual.Weight >= 0, "losses.perceptual.weight", "must be 0 or more");
        // Perceptual loss (BasicSR's PerceptualLoss and VGGFeatureExtractor options).
        {
            var p = l.Perceptual;
            var names = VggLayerNames.Of(p.VggType);
            Require(names is not null, "losses.perceptual.vgg_type", $"'{p.VggType}' is not supported (use {string.Join(" or ", VggLayerNames.VggTypes)})");
            Require(PerceptualLossConfig.Criteria.Contains(p.Criterion), "losses.perceptual.criterion", $"'{p.Criterion}' is not supported (use {string.Join(", ", PerceptualLossConfig.Criteria)})");
            Require(p.StyleWeight >= 0, "losses.perceptual.style_weight", "must be 0 or more");
            var vgg = VggLayerNames.DisplayName(p.VggType);
            Require((p.Weight == 0 && p.StyleWeight == 0) || p.LayerWeights.Count > 0, "losses.perceptual.layer_weights", $"must name at least one {vgg} layer");
            foreach (var (layer, w) in p.LayerWeights)
            {
                if (names is not null)
                    Require(names.Contains(layer), $"losses.perceptual.layer_weights.{layer}",
                        $"is not a {vgg} layer (use e.g. {string.Join(", ", names.Where(n => n.StartsWith("relu", StringComparison.Ordinal)))}, or the conv and pool layers of the same names)");
                Require(w >= 0, $"losses.perceptual.layer_weights.{layer}", "must be 0 or more");
            }
        }
        Require(l.Gan.Weight >= 0, "losses.gan.weight", "must be 0 or more");
        Require(l.Translational.Weight >= 0, "losses.translational.weight", "must be 0 or more");
        foreach (var (name, start) in new[] { ("pixel", l.Pixel.StartStep), ("perceptual", l.Perceptual.StartStep), ("gan", l.Gan.StartStep), ("translational", l.Translational.StartStep) })
            Require(start >= 0, $"losses.{name}.start_step", "must be 0 or more");
        Require(l.Translational.Shift >= 1, "losses.translational.shift", "must be at least 1 (LQ pixels)");
        if (l.Translational.Weight > 0)
        {
            Require(d.GtSize - c.Scale * l.Translational.Shift > 0, "losses.translational.shift",
                $"{l.Translational.Shift} is too large for gt_size {d.GtSize} at x{c.Scale}: the four corner crops must share a region " +
                $"(need scale·shift < gt_size, i.e. shift below {(d.GtSize + c.Scale - 1) / c.Scale})");
            Require(l.Translational.Views != TranslationalViews.SubPixel || string.IsNullOrWhiteSpace(d.DatarootLq), "losses.translational.views",
                "SubPixel makes each view's LQ from its own HQ crop, which paired data (datasets.train.dataroot_lq) cannot: use Corners or Free, or drop dataroot_lq");
            Require(l.Translational.Views != TranslationalViews.SubPixel || c.Scale >= 2, "losses.translational.views",
                $"SubPixel needs scale 2 or more (x{c.Scale} has no sub-pixel offsets)");
        }
        Require(l.Pixel.Weight + l.Perceptual.Weight + l.Gan.Weight + l.Translational.Weight > 0, "losses", "all weights are 0: nothing to train");

        ValidateRealEsrgan(c, Require);

        var t = c.Train;
        Require(t.TotalSteps >= 1, "train.total_steps", "must be at least 1");
        foreach (var (name, o) in new[] { ("optim_g", t.OptimG), ("optim_d", t.OptimD) })
        {
            Require(o.Lr > 0 && double.IsFinite(o.Lr), $"train.{name}.lr", "must be a positive number");
            Require(o.Betas.Length == 2 && o.Betas.All(b => b is >= 0 and < 1), $"train.{name}.betas", "must be two numbers in [0, 1)");
            Require(o.WeightDecay >= 0, $"train.{name}.weight_decay", "must be 0 or more");
        }
        Require(t.Scheduler.Gamma > 0 && t.Scheduler.Gamma <= 1, "train.scheduler.gamma", "must be in (0, 1]");
        Require(t.Scheduler.WarmupSteps >= 0, "train.scheduler.warmup_steps", "must be 0 or more");
        Require(t.Scheduler.Milestones.All(m => m > 0) && t.Scheduler.Milestones.SequenceEqual(t.Scheduler.Milestones.Order()), "train.scheduler.milestones", "must be increasing positive steps");
        Require(t.Scheduler.EtaMin >= 0, "train.scheduler.eta_min", "must be 0 or more");
        Require(t.EmaDecay is >= 0 and < 1, "train.ema_decay", "must be in [0, 1)");
        Require(t.GradClip >= 0, "train.grad_clip", "must be 0 (off) or positive");
        Require(t.MaxNonfiniteInARow >= 1, "train.max_nonfinite_in_a_row", "must be at least 1");

        Require(c.Val.ValFreq >= 0, "val.val_freq", "must be 0 or more");
        Require(c.Val.CropBorder >= -1, "val.crop_border", "must be 0 or more, or -1 for the scale");
        Require(c.Val.SaveImages >= 0, "val.save_images", "must be 0 or more");
        Require(c.Val.ShiftK >= 1, "val.shift_k", "must be at least 1");
        Require(c.Val.MaxLqSize >= 8, "val.max_lq_size", "must be at least 8");
        Require(c.Logger.PrintFreq >= 1, "logger.print_freq", "must be at least 1");
        Require(c.Checkpoint.SaveFreq >= 1, "checkpoint.save_freq", "must be at least 1");
        Require(c.Checkpoint.KeepLast >= 1, "checkpoint.keep_last", "must be at least 1");
        Require(c.Checkpoint.KeepEvery >= 0, "checkpoint.keep_every", "must be 0 or more");
        Require(c.Distributed.CheckEvery >= 1, "distributed.check_every", "must be at least 1");
        Require(c.Distributed.BarrierTimeoutMinutes >= 1, "distributed.barrier_timeout_minutes", "must be at least 1");
    }

    /// <summary>The kernel names BasicSR's random_mixed_kernels draws from.</summary>
    internal static readonly IReadOnlyList<string> KernelNames =
        ["iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso"];

    /// <summary>datasets.train.realesrgan, checked as BasicSR would use it (random.choices takes any non-negative
    /// weights; DiffJPEG takes qualities in [0, 100]); only when it is enabled, so its defaults never stand in the way.</summary>
    static void ValidateRealEsrgan(SrTrainConfig c, Action<bool, string, string> require)
    {
        var d = c.Datasets.Train;
        var r = d.Realesrgan;
        if (!r.Enabled) return;
        const string at = "datasets.train.realesrgan.";
        void Prob(double v, string key) => require(v is >= 0 and <= 1, at + key, $"is {v}; a probability must be in [0, 1]");
        void Range(double[] v, string key, double min, bool positive)
        {
            require(v.Length == 2, at + key, $"must be [min, max] (two numbers), got {v.Length}");
            require(v[0] <= v[1], at + key, $"[{v[0]}, {v[1]}] must be ordered: [min, max] with min <= max");
            require(positive ? v[0] > min : v[0] >= min, at + key, $"[{v[0]}, {v[1]}] must be {(positive ? "positive" : $"{min} or more")}");
        }
        void Weights(double[] w, string key, int count, string of)
        {
            require(w.Length == count, at + key, $"has {w.Length} weight(s) but {of} has {count}");
            require(w.All(x => x >= 0 && double.IsFinite(x)), at + key, "must be non-negative numbers (random.choices' weights)");
            require(w.Sum() > 0, at + key, "are all 0: nothing can be drawn");
        }
        void Kernels(string[] list, double[] prob, string suffix)
        {
            require(list.Length > 0, at + "kernel_list" + suffix, "must name at least one kernel");
            foreach (var k in list)
                require(KernelNames.Contains(k), at + "kernel_list" + suffix, $"names '{k}', which is not one of {string.Join(", ", KernelNames)}");
            Weights(prob, "kernel_prob" + suffix, list.Length, "kernel_list" + suffix);
        }

        int fullPatch = d.GtSize + (c.Losses.Translational.Weight > 0 ? c.Scale * c.Losses.Translational.Shift : 0);
        require(r.CropPadSize >= fullPatch, at + "crop_pad_size",
            $"is {r.CropPadSize}, smaller than the HQ patch cut from it ({fullPatch}: gt_size{(fullPatch != d.GtSize ? " + scale·shift" : "")})");
        Kernels(r.KernelList, r.KernelProb, "");
        Kernels(r.KernelList2, r.KernelProb2, "2");
        Prob(r.SincProb, "sinc_prob");
        Prob(r.SincProb2, "sinc_prob2");
        Prob(r.FinalSincProb, "final_sinc_prob");
        Prob(r.GaussianNoiseProb, "gaussian_noise_prob");
        Prob(r.GaussianNoiseProb2, "gaussian_noise_prob2");
        Prob(r.GrayNoiseProb, "gray_noise_prob");
        Prob(r.GrayNoiseProb2, "gray_noise_prob2");
        Prob(r.SecondBlurProb, "second_blur_prob");
        Range(r.BlurSigma, "blur_sigma", 0, positive: true);
        Range(r.BlurSigma2, "blur_sigma2", 0, positive: true);
        Range(r.BetagRange, "betag_range", 0, positive: true);
        Range(r.BetagRange2, "betag_range2", 0, positive: true);
        Range(r.BetapRange, "betap_range", 0, positive: true);
        Range(r.BetapRange2, "betap_range2", 0, positive: true);
        Weights(r.ResizeProb, "resize_prob", 3, "[up, down, keep]");
        Weights(r.ResizeProb2, "resize_prob2", 3, "[up, down, keep]");
        Range(r.ResizeRange, "resize_range", 0, positive: true);
        Range(r.ResizeRange2, "resize_range2", 0, positive: true);
        Range(r.NoiseRange, "noise_range", 0, positive: false);
        Range(r.NoiseRange2, "noise_range2", 0, positive: false);
        Range(r.PoissonScaleRange, "poisson_scale_range", 0, positive: false);
        Range(r.PoissonScaleRange2, "poisson_scale_range2", 0, positive: false);
        foreach (var (range, key) in new[] { (r.JpegRange, "jpeg_range"), (r.JpegRange2, "jpeg_range2") })
        {
            Range(range, key, 0, positive: false);
            require(range[1] <= 100, at + key, $"[{range[0]}, {range[1]}] must lie within [0, 100] (DiffJPEG's quality)");
        }
        require(r.QueueSize >= 0 && r.QueueSize % d.BatchSize == 0, at + "queue_size",
            $"is {r.QueueSize}; the pool must be 0 (none) or a multiple of datasets.train.batch_size ({d.BatchSize})");
        require(string.IsNullOrWhiteSpace(d.DatarootLq), "datasets.train.dataroot_lq",
            "is set while datasets.train.realesrgan.enabled synthesises the LQ: drop dataroot_lq, or turn the degradation off for paired data");
        require(d.NoiseProb == 0, "datasets.train.noise_prob",
            "is SrTrain's own LQ noise, which does not combine with datasets.train.realesrgan (it has gaussian_noise_prob): set noise_prob 0");
        require(d.JpegProb == 0, "datasets.train.jpeg_prob",
            "is SrTrain's own LQ JPEG, which does not combine with datasets.train.realesrgan (it has jpeg_range): set jpeg_prob 0");
    }

    /// <summary>Longest run name in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 200;

    /// <summary>Set to 1 to lift the upper bounds below (for hardware that really takes such sizes).</summary>
    public const string AllowLargeVariable = "SRTRAIN_ALLOW_LARGE_CONFIG";

    /// <summary>HQ pixels one batch may hold (batch_size·gt_size²): 2^28, 3.2 GB as float32 RGB before any network
    /// runs. BasicSR's ESRGAN recipe uses 16·128².</summary>
    public const long MaxBatchPixels = 1L << 28;

    /// <summary>Upper bounds on sizes, so that a typo (<c>batch_size: 2e9</c>, <c>num_feat: 2e9</c>) is refused at
    /// start-up instead of stalling or failing inside the allocator. Generous for every published SR recipe.</summary>
    static void ValidateBounds(SrTrainConfig c, Action<bool, string, string> require)
    {
        if (Environment.GetEnvironmentVariable(AllowLargeVariable) == "1") return;
        string raise = $" (set {AllowLargeVariable}=1 to lift this bound)";
        void AtMost(long value, long max, string path) => require(value <= max, path, $"is {value}, above the upper bound of {max}{raise}");
        var d = c.Datasets.Train;
        AtMost(d.GtSize, 4096, "datasets.train.gt_size");
        AtMost(d.BatchSize, 4096, "datasets.train.batch_size");
        AtMost(d.NumWorkers, 256, "datasets.train.num_workers");
        AtMost(d.PrefetchBatches, 256, "datasets.train.prefetch_batches");
        require((long)d.BatchSize * d.GtSize * d.GtSize <= MaxBatchPixels, "datasets.train.batch_size",
            $"{d.BatchSize} with gt_size {d.GtSize} makes {(long)d.BatchSize * d.GtSize * d.GtSize} HQ pixels per batch, above {MaxBatchPixels}{raise}");
        var g = c.NetworkG;
        AtMost(g.NumInCh, 64, "network_g.num_in_ch");
        AtMost(g.NumOutCh, 64, "network_g.num_out_ch");
        AtMost(g.NumFeat, 1024, "network_g.num_feat");
        AtMost(g.NumBlock, 1024, "network_g.num_block");
        AtMost(g.NumGrowCh, 1024, "network_g.num_grow_ch");
        AtMost(c.NetworkD.NumInCh, 64, "network_d.num_in_ch");
        AtMost(c.NetworkD.NumFeat, 1024, "network_d.num_feat");
        AtMost(c.Losses.Translational.Shift, 1024, "losses.translational.shift");
        AtMost(c.Val.ShiftK, 1024, "val.shift_k");
        AtMost(c.Val.MaxLqSize, 8192, "val.max_lq_size");
        AtMost(c.Val.SaveImages, 1000, "val.save_images");
        AtMost(c.Val.CropBorder, 1024, "val.crop_border");
        AtMost(c.Checkpoint.KeepLast, 100_000, "checkpoint.keep_last");
    }
}
