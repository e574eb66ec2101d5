using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace SrTrain.Config;

/// <summary>Reads BasicSR's option-file vocabulary (options/train/ESRGAN/train_ESRGAN_x4.yml and friends) as SrTrain's
/// config: renames its keys (<c>total_iter</c> → <c>train.total_steps</c>, <c>pixel_opt.loss_weight</c> →
/// <c>losses.pixel.weight</c>, <c>MultiStepLR</c> → <c>MultiStep</c>, ...), drops keys that only steer BasicSR's
/// machinery (io_backend, num_gpu, dist_params, wandb), and lists keys whose value would change what is trained in a
/// way SrTrain cannot follow (VGG-19, Real-ESRGAN's degradations, lmdb, meta_info), so none of them is dropped
/// silently. A file in SrTrain's own names passes through unchanged.</summary>
internal static class BasicSrOptions
{
    // Real-ESRGAN's synthetic degradation settings (RealESRNetModel/RealESRGANModel top level and RealESRGANDataset).
    static readonly string[] DegradationKeys =
    {
        "resize_prob", "resize_range", "gaussian_noise_prob", "noise_range", "poisson_scale_range", "gray_noise_prob",
        "jpeg_range", "second_blur_prob", "resize_prob2", "resize_range2", "gaussian_noise_prob2", "noise_range2",
        "poisson_scale_range2", "gray_noise_prob2", "jpeg_range2", "queue_size",
    };

    static readonly string[] DatasetDegradationKeys =
    {
        "blur_kernel_size", "kernel_list", "kernel_prob", "sinc_prob", "blur_sigma", "betag_range", "betap_range",
        "blur_kernel_size2", "kernel_list2", "kernel_prob2", "sinc_prob2", "blur_sigma2", "betag_range2", "betap_range2",
        "final_sinc_prob",
    };

    public static BasicSrTranslation Translate(YamlMappingNode source) => Translate(source, null, isOverride: false);

    /// <summary>Reads an override (a --set value, a resume --config file) on its own, before it is merged onto the file
    /// it overrides, so that it replaces the file's value whichever vocabulary either used. <paramref name="fileModelType"/>
    /// is the overridden file's model_type (ESRGANModel makes a vanilla gan_type relativistic); an override never adds
    /// the defaults a whole BasicSR file implies (no pixel_opt → no pixel loss).</summary>
    public static BasicSrTranslation TranslateOverride(YamlMappingNode source, string? fileModelType) => Translate(source, fileModelType, isOverride: true);

    /// <summary>The file's BasicSR model_type, if it has one.</summary>
    public static string? ModelType(YamlMappingNode file) =>
        file.Children.TryGetValue(new YamlScalarNode("model_type"), out var n) ? Str(n) : null;

    static BasicSrTranslation Translate(YamlMappingNode source, string? inheritedModelType, bool isOverride)
    {
        var t = new Translator(Clone(source), inheritedModelType, isOverride);
        t.Run();
        return new BasicSrTranslation(t.Root, t.Renamed, t.Ignored, t.Unsupported);
    }

    sealed class Translator(YamlMappingNode root, string? inheritedModelType, bool isOverride)
    {
        public YamlMappingNode Root { get; } = root;
        public List<string> Renamed { get; } = new();
        public List<string> Ignored { get; } = new();
        public List<string> Unsupported { get; } = new();

        public void Run()
        {
            string? ownModelType = Str(Take(Root, "model_type"));
            string? modelType = ownModelType ?? inheritedModelType;
            bool basicSr = ownModelType != null && !isOverride;
            if (ownModelType is not (null or ("SRModel" or "SRGANModel" or "ESRGANModel" or "RealESRNetModel" or "RealESRGANModel")))
                Unsupported.Add($"'model_type: {ownModelType}' (SrTrain trains SRModel, SRGANModel, ESRGANModel, RealESRNetModel and RealESRGANModel-style GANs)");

            Move(Root, "manual_seed", "seed", "manual_seed");
            // SrTrain does train data-parallel, but the launcher decides how (README, "Several GPUs or machines").
            Ignore(Root, "num_gpu", "num_gpu", "--device picks the device; started by mpirun or srun, SrTrain trains on one GPU per rank. " +
                                               "datasets.train.batch_size is the global batch, so batch_size_per_gpu gives BasicSR's batch on one GPU");
            Ignore(Root, "dist_params", "dist_params", "mpirun or srun starts the ranks; distributed.backend picks NCCL or MPI");
            Ignore(Root, "is_train", "is_train", "set by BasicSR itself");
            Ignore(Root, "find_unused_parameters", "find_unused_parameters", "every parameter gets a gradient here");
            // Real-ESRGAN's degradation settings live at the top level (the model's) and in datasets.train (the
            // dataset's); both go to datasets.train.realesrgan under their own names.
            foreach (var k in DegradationKeys) Degradation(Root, k);
            Usm(modelType);
            if (Str(Take(Root, "high_order_degradation")) is { } highOrder)
            {
                _highOrder = IsTrue(highOrder);
                Renamed.Add($"high_order_degradation {highOrder} → datasets.train.realesrgan.enabled");
            }
            // A top-level gt_size is the size RealESRNetModel crops the degraded pair to; the dataset's is the patch
            // RealESRGANPairedDataset and PairedImageDataset cut. SrTrain has one: they must agree.
            if (Take(Root, "gt_size") is { } topGt) TopGtSize(topGt);
            if (Child(Root, "datasets") is { } datasets)
            {
                if (Child(datasets, "train") is { } train) Dataset(train, "datasets.train", isTrain: true);
                if (Child(datasets, "val") is { } val) Dataset(val, "datasets.val", isTrain: false);
                foreach (var extra in datasets.Children.Keys.OfType<YamlScalarNode>().Where(k => k.Value is not ("train" or "val")).ToList())
                    if (extra.Value!.StartsWith("val", StringComparison.Ordinal))
                        Cannot(datasets, extra.Value!, "datasets." + extra.Value, "SrTrain validates on one set, datasets.val");
            }
            if (Child(Root, "network_g") is { } ng) Upscale(ng);
            if (Child(Root, "network_d") is { } nd && Str(Take(nd, "skip_connection")) is { } skip && !IsTrue(skip))
                Unsupported.Add("'network_d.skip_connection: false' (UNetDiscriminatorSN always has its skip connections here)");
            if (Child(Root, "path") is { } path) Paths(path);
            Train(modelType, basicSr);
            Val();
            Logger();
            RealEsrganEnabled(modelType);
        }

        bool? _highOrder;
        string? _datasetType;
        int _degradationKeys;

        /// <summary>Moves a degradation setting of <paramref name="map"/> to datasets.train.realesrgan.&lt;key&gt;.</summary>
        void Degradation(YamlMappingNode map, string key)
        {
            if (Take(map, key) is not { } v) return;
            var target = MapAt(Root, "datasets", "train", "realesrgan");
            if (target.Children.ContainsKey(new YamlScalarNode(key)))
            {
                Unsupported.Add($"'{key}' is given at the top level and in datasets.train; keep one");
                return;
            }
            target.Children[new YamlScalarNode(key)] = v;
            _degradationKeys++;
        }

        /// <summary>RealESRNetModel's gt_usm sharpens the GT that its losses compare with (SRModel's pixel and perceptual
        /// losses); RealESRGANModel's l1_gt_usm, percep_gt_usm and gan_gt_usm pick the GT of each loss (the GAN's: what
        /// D sees as real). BasicSR reads each switch only in its own model.</summary>
        void Usm(string? modelType)
        {
            if (Take(Root, "gt_usm") is { } gtUsm)
            {
                if (modelType == "RealESRGANModel")
                    Ignored.Add("gt_usm (RealESRGANModel reads l1_gt_usm, percep_gt_usm and gan_gt_usm)");
                else
                {
                    Set(Root, "losses.pixel.gt_usm", gtUsm);
                    Set(Root, "losses.perceptual.gt_usm", gtUsm);
                    Renamed.Add("gt_usm → losses.pixel.gt_usm, losses.perceptual.gt_usm");
                }
            }
            foreach (var (key, loss) in new[] { ("l1_gt_usm", "pixel"), ("percep_gt_usm", "perceptual"), ("gan_gt_usm", "gan") })
            {
                if (Take(Root, key) is not { } v) continue;
                if (modelType == "RealESRNetModel")
                    Ignored.Add($"{key} (RealESRNetModel reads gt_usm)");
                else
                {
                    Set(Root, $"losses.{loss}.gt_usm", v);
                    Renamed.Add($"{key} → losses.{loss}.gt_usm");
                }
            }
        }

        void TopGtSize(YamlNode topGt)
        {
            var train = MapAt(Root, "datasets", "train");
            if (!train.Children.TryGetValue(new YamlScalarNode("gt_size"), out var dsGt))
            {
                train.Children[new YamlScalarNode("gt_size")] = topGt;
                Renamed.Add("gt_size → datasets.train.gt_size");
            }
            else if (Num(dsGt, "datasets.train.gt_size") != Num(topGt, "gt_size"))
                Unsupported.Add($"'gt_size: {Str(topGt)}' differs from 'datasets.train.gt_size: {Str(dsGt)}' (RealESRNetModel crops the " +
                                "degraded pair to the top-level gt_size, the dataset cuts datasets.train.gt_size; SrTrain has one patch size: set both alike)");
            else
                Renamed.Add("gt_size (= datasets.train.gt_size)");
        }

        /// <summary>datasets.train.realesrgan.enabled: on for RealESRNetModel/RealESRGANModel unless
        /// high_order_degradation is false (feed_data's own default is true), as BasicSR decides in feed_data.</summary>
        void RealEsrganEnabled(string? modelType)
        {
            if (_degradationKeys > 0) Renamed.Add($"{_degradationKeys} degradation settings → datasets.train.realesrgan.*");
            // An override (--set high_order_degradation=false) switches it; the file's model_type decides the rest.
            if (isOverride && _highOrder is null) return;
            bool realModel = modelType is "RealESRNetModel" or "RealESRGANModel";
            bool? enabled = realModel ? _highOrder ?? true : _highOrder is false ? false : null;
            if (_highOrder == true && !realModel && modelType != null)
                Unsupported.Add($"'high_order_degradation: true' with model_type {modelType} (only RealESRNetModel and RealESRGANModel " +
                                "synthesise LQ in feed_data)");
            if (isOverride) return;
            if (_datasetType == "RealESRGANDataset" && enabled is not true)
                Unsupported.Add("'datasets.train.type: RealESRGANDataset' without the high-order degradation (it yields GT and kernels " +
                                "only, which RealESRNetModel/RealESRGANModel degrade when high_order_degradation is not false)");
            if (enabled is true && _datasetType is { } other && other != "RealESRGANDataset")
                Unsupported.Add($"'datasets.train.type: {other}' with the high-order degradation on (feed_data needs RealESRGANDataset's " +
                                "kernels: set high_order_degradation: false for paired data)");
            if (enabled is { } on)
            {
                Set(Root, "datasets.train.realesrgan.enabled", new YamlScalarNode(on ? "true" : "false"));
                if (realModel)
                    Renamed.Add($"model_type {modelType}{(_highOrder is { } h ? $" with high_order_degradation {(h ? "true" : "false")}" : "")} → " +
                                $"datasets.train.realesrgan.enabled {(on ? "true" : "false")}");
            }
        }

        /// <summary>The mapping at a path under <paramref name="root"/>, created on the way.</summary>
        static YamlMappingNode MapAt(YamlMappingNode root, params string[] keys)
        {
            var map = root;
            foreach (var key in keys)
            {
                var k = new YamlScalarNode(key);
                if (!map.Children.TryGetValue(k, out var next) || next is not YamlMappingNode nm)
                {
                    nm = new YamlMappingNode();
                    map.Children[k] = nm;
                }
                map = nm;
            }
            return map;
        }

        /// <summary>BasicSR's MSRResNet, SRVGGNetCompact and RRDBNet-as-arch take the factor as <c>network_g.upscale</c>
        /// (RRDBNet as <c>scale</c>); SrTrain builds every network at the top-level <c>scale</c>, which BasicSR uses for
        /// the data. BasicSR itself fails at the first loss when the two differ, so they must agree.</summary>
        void Upscale(YamlMappingNode ng)
        {
            foreach (var key in new[] { "upscale", "scale" })
            {
                if (Take(ng, key) is not { } up) continue;
                var label = "network_g." + key;
                var factor = Num(up, label);
                if (!Root.Children.TryGetValue(new YamlScalarNode("scale"), out var scale))
                {
                    Root.Children[new YamlScalarNode("scale")] = up;
                    Renamed.Add($"{label} → scale");
                }
                else if (Num(scale, "scale") != factor)
                    Unsupported.Add($"'{label}: {Str(up)}' differs from 'scale: {Str(scale)}' (BasicSR builds the network at {label} and " +
                                    "the data at scale, and fails at the first loss when they differ; set both alike)");
                else
                    Renamed.Add($"{label} (= scale)");
            }
        }

        void Dataset(YamlMappingNode d, string at, bool isTrain)
        {
            Ignore(d, "name", at + ".name", "a label in BasicSR's log");
            if (Str(Take(d, "type")) is { } type)
            {
                if (isTrain) _datasetType = type;
                // Real-ESRGAN's paired dataset reads GT/LQ pairs (from meta_info) and crops and flips them as BasicSR's does.
                if (type is not ("PairedImageDataset" or "SingleImageDataset" or "RealESRGANPairedDataset" or "RealESRGANDataset"))
                    Unsupported.Add($"'{at}.type: {type}' (SrTrain reads folders of images: dataroot_gt, optionally dataroot_lq)");
            }
            if (Take(d, "io_backend") is YamlMappingNode io && Str(Take(io, "type")) is { } backend && backend != "disk")
                Unsupported.Add($"'{at}.io_backend.type: {backend}' (SrTrain reads image files from disk folders)");
            if (Str(Take(d, "filename_tmpl")) is { } tmpl && tmpl != "{}")
                Unsupported.Add($"'{at}.filename_tmpl: {tmpl}' (LQ files must have the same names as the GT files)");
            if (!isTrain)
                foreach (var key in new[] { "meta_info", "meta_info_file" })
                    Cannot(d, key, $"{at}.{key}", "SrTrain validates on every image in datasets.val.dataroot_gt; make a folder with the images you want");
            if (isTrain)
            {
                // RealESRGANDataset and RealESRGANPairedDataset read meta_info, PairedImageDataset meta_info_file.
                Move(d, "meta_info_file", "meta_info", at + ".meta_info_file");
                Move(d, "use_flip", "use_hflip", at + ".use_flip");
                Move(d, "batch_size_per_gpu", "batch_size", at + ".batch_size_per_gpu");
                Move(d, "num_worker_per_gpu", "num_workers", at + ".num_worker_per_gpu");
                if (Str(Take(d, "use_shuffle")) is { } shuffle && !IsTrue(shuffle))
                    Unsupported.Add($"'{at}.use_shuffle: {shuffle}' (SrTrain always draws patches in a seeded random order)");
                Ignore(d, "dataset_enlarge_ratio", at + ".dataset_enlarge_ratio", "SrTrain counts steps, not epochs");
                Ignore(d, "prefetch_mode", at + ".prefetch_mode", "SrTrain always prefetches (datasets.train.prefetch_batches)");
                Ignore(d, "pin_memory", at + ".pin_memory", "not needed here");
                foreach (var k in DatasetDegradationKeys) Degradation(d, k);
                foreach (var k in new[] { "mean", "std" })
                    if (Str(Take(d, k)) is { } v && v is not ("~" or "null" or ""))
                        Unsupported.Add($"'{at}.{k}' (images are used in [0, 1] without normalisation)");
            }
        }

        void Paths(YamlMappingNode p)
        {
            // strict_load_g, strict_load_d, pretrain_network_g/d and param_key_g/d are SrTrain's names too.
            if (Str(Take(p, "resume_state")) is { } resume && resume is not ("~" or "null" or ""))
                Unsupported.Add("'path.resume_state' (continue a run with `srtrain resume --run runs/<name>`)");
            foreach (var k in new[] { "experiments_root", "models", "training_states", "log", "visualization", "results_root" })
                Ignore(p, k, "path." + k, "SrTrain writes everything under runs_dir/<name>");
        }

        void Train(string? modelType, bool basicSr)
        {
            if (Child(Root, "train") is not { } t) return;
            Move(t, "total_iter", "total_steps", "train.total_iter");
            if (Take(t, "warmup_iter") is { } warm)
            {
                var steps = Math.Max(0, (long)Num(warm, "train.warmup_iter"));
                Set(Root, "train.scheduler.warmup_steps", new YamlScalarNode(steps.ToString(CultureInfo.InvariantCulture)));
                Renamed.Add("train.warmup_iter → train.scheduler.warmup_steps");
            }
            foreach (var o in new[] { "optim_g", "optim_d" })
                if (Child(t, o) is { } opt && Str(Take(opt, "type")) is { } type && type is not ("Adam"))
                    Unsupported.Add($"'train.{o}.type: {type}' (SrTrain uses Adam)");
            if (Child(t, "scheduler") is { } s) Scheduler(s, t);

            var losses = new YamlMappingNode();
            if (Take(t, "pixel_opt") is YamlMappingNode pix) Pixel(pix, losses);
            else if (basicSr)
            {
                // BasicSR has no pixel loss without pixel_opt; SrTrain's default is L1 with weight 1.
                Set(losses, "pixel.weight", new YamlScalarNode("0"));
                Renamed.Add("no train.pixel_opt → losses.pixel.weight 0");
            }
            if (Take(t, "perceptual_opt") is YamlMappingNode per) Perceptual(per, losses);
            if (Take(t, "gan_opt") is YamlMappingNode gan) Gan(gan, losses, modelType);
            foreach (var (k, v) in losses.Children) Set(Root, "losses." + ((YamlScalarNode)k).Value, v, merge: true);

            if (Str(Take(t, "net_d_iters")) is { } dIters && dIters != "1")
                Unsupported.Add($"'train.net_d_iters: {dIters}' (SrTrain updates G and D once each per step)");
            if (Str(Take(t, "net_d_init_iters")) is { } dInit && dInit != "0")
                Unsupported.Add($"'train.net_d_init_iters: {dInit}' (SrTrain has no D-only warm-up; losses.gan.start_step delays the GAN instead)");
        }

        void Scheduler(YamlMappingNode s, YamlMappingNode train)
        {
            var type = Str(Take(s, "type"));
            var periods = Take(s, "periods");
            var weights = Take(s, "restart_weights");
            switch (type)
            {
                case null when periods != null:
                    // Periods belong to the cosine only; in an override without the type they still must fit.
                    CosineLength(periods, "periods", train);
                    break;
                case null: break;
                case "MultiStepLR" or "MultiStepRestartLR":
                    s.Children[new YamlScalarNode("type")] = new YamlScalarNode("MultiStep");
                    Renamed.Add($"train.scheduler.type {type} → MultiStep");
                    if (Take(s, "restarts") is YamlSequenceNode { Children.Count: > 0 })
                        Unsupported.Add("'train.scheduler.restarts' (SrTrain's MultiStep schedule does not restart)");
                    Take(s, "restart_weights");
                    break;
                case "CosineAnnealingRestartLR" or "CosineAnnealingLR":
                    s.Children[new YamlScalarNode("type")] = new YamlScalarNode("Cosine");
                    Renamed.Add($"train.scheduler.type {type} → Cosine");
                    // One period over the whole run is SrTrain's cosine; restarts are not.
                    if (periods is YamlSequenceNode ps && ps.Children.Count > 1)
                        Unsupported.Add("'train.scheduler.periods' with several periods (SrTrain's cosine runs once, from 0 to total_steps)");
                    else if (periods != null) CosineLength(periods, "periods", train);
                    if (weights is YamlSequenceNode ws && ws.Children.Count > 1)
                        Unsupported.Add("'train.scheduler.restart_weights' (SrTrain's cosine does not restart)");
                    else if (weights is YamlSequenceNode { Children: [var w] } && Num(w, "train.scheduler.restart_weights") != 1)
                        Unsupported.Add($"'train.scheduler.restart_weights: [{Str(w)}]' (it scales BasicSR's cosine; SrTrain's starts at the " +
                                        "full learning rate: set train.optim_g.lr and optim_d.lr to eta_min + weight·(lr − eta_min) instead)");
                    if (Take(s, "T_max") is { } tmax) CosineLength(tmax, "T_max", train);
                    break;
                default:
                    // SrTrain's own names (any case) and anything else go to the binder, which names the allowed values.
                    s.Children[new YamlScalarNode("type")] = new YamlScalarNode(type);
                    if (periods != null) CosineLength(periods, "periods", train);
                    break;
            }
        }

        /// <summary>A cosine of one period (CosineAnnealingRestartLR's periods: [P], CosineAnnealingLR's T_max) is
        /// SrTrain's cosine only when P is the run's length: SrTrain's reaches eta_min at total_steps, BasicSR's at
        /// step P (and fails after it). Anything else is named, never dropped.</summary>
        void CosineLength(YamlNode node, string key, YamlMappingNode train)
        {
            var at = "train.scheduler." + key;
            var value = node is YamlSequenceNode { Children: [var only] } ? only : node;
            if (value is not YamlScalarNode)
            {
                Unsupported.Add($"'{at}' (expected one number: SrTrain's cosine has one period, train.total_steps)");
                return;
            }
            double period = Num(value, at);
            var shown = node is YamlSequenceNode ? $"[{Str(value)}]" : Str(value);
            var total = train.Children.TryGetValue(new YamlScalarNode("total_steps"), out var t) ? Num(t, "train.total_steps") : (double?)null;
            if (total == period)
                Renamed.Add($"{at} {shown} (= train.total_steps)");
            else
                Unsupported.Add($"'{at}: {shown}' " + (total is { } n ? $"differs from the run's {n:0} steps" : "without train.total_steps beside it") +
                                $" (SrTrain's cosine reaches eta_min at train.total_steps, BasicSR's at step {Str(value)}: give one period equal to the run's length)");
        }

        void Pixel(YamlMappingNode p, YamlMappingNode losses)
        {
            var type = Str(Take(p, "type"));
            string? criterion = type switch
            {
                null => null,
                "L1Loss" => "L1",
                "MSELoss" => "L2",
                "CharbonnierLoss" => "Charbonnier",
                _ => null,
            };
            if (type != null && criterion == null) Unsupported.Add($"'train.pixel_opt.type: {type}' (SrTrain has L1Loss, MSELoss and CharbonnierLoss)");
            if (criterion != null) Set(losses, "pixel.criterion", new YamlScalarNode(criterion));
            if (Take(p, "loss_weight") is { } w) Set(losses, "pixel.weight", w);
            if (Take(p, "eps") is { } eps) Set(losses, "pixel.eps", eps);
            Reduction(p, "train.pixel_opt");
            Renamed.Add("train.pixel_opt → losses.pixel");
            Rest(p, "train.pixel_opt");
        }

        void Perceptual(YamlMappingNode p, YamlMappingNode losses)
        {
            Take(p, "type");
            // BasicSR's PerceptualLoss settings have SrTrain's names; ConfigValidator checks their values (the layer
            // names against vgg_type's network).
            foreach (var key in new[] { "vgg_type", "layer_weights", "use_input_norm", "range_norm", "style_weight", "criterion" })
                if (Take(p, key) is { } v) Set(losses, "perceptual." + key, v);
            if (Take(p, "perceptual_weight") is { } w) Set(losses, "perceptual.weight", w);
            Renamed.Add("train.perceptual_opt → losses.perceptual");
            Rest(p, "train.perceptual_opt");
        }

        void Gan(YamlMappingNode g, YamlMappingNode losses, string? modelType)
        {
            Take(g, "type");
            var ganType = Str(Take(g, "gan_type"));
            // BasicSR's ESRGANModel makes any gan_type relativistic-average (RaGAN); SRGANModel uses it as named.
            string? mapped = (ganType, modelType) switch
            {
                (null, _) => null,
                ("vanilla", "ESRGANModel") => "RaGAN",
                ("vanilla", _) => "Vanilla",
                ("lsgan", _) => "LSGAN",
                ("hinge", _) => "Hinge",
                _ => null,
            };
            if (ganType != null && mapped == null) Unsupported.Add($"'train.gan_opt.gan_type: {ganType}' (SrTrain has vanilla, lsgan, hinge, and RaGAN as ESRGANModel)");
            if (mapped != null)
            {
                Set(losses, "gan.type", new YamlScalarNode(mapped));
                if (mapped == "RaGAN") Renamed.Add("model_type ESRGANModel with gan_type vanilla → losses.gan.type RaGAN (as BasicSR's ESRGANModel computes it)");
            }
            if (Take(g, "loss_weight") is { } w) Set(losses, "gan.weight", w);
            if (Take(g, "real_label_val") is { } real && Num(real, "train.gan_opt.real_label_val") != 1)
                Unsupported.Add("'train.gan_opt.real_label_val' other than 1.0 (no label smoothing here)");
            if (Take(g, "fake_label_val") is { } fake && Num(fake, "train.gan_opt.fake_label_val") != 0)
                Unsupported.Add("'train.gan_opt.fake_label_val' other than 0.0 (no label smoothing here)");
            if (modelType is "SRModel" or "RealESRNetModel")
            {
                Unsupported.Add($"'train.gan_opt' with model_type {modelType} (BasicSR ignores it there; remove it or use an ESRGAN/RealESRGAN model_type)");
                Take(losses, "gan");
            }
            Renamed.Add("train.gan_opt → losses.gan");
            Rest(g, "train.gan_opt");
        }

        void Reduction(YamlMappingNode p, string at)
        {
            if (Str(Take(p, "reduction")) is { } r && r != "mean")
                Unsupported.Add($"'{at}.reduction: {r}' (losses are means over pixels here)");
        }

        /// <summary>Keys left in a BasicSR loss block after the known ones were taken: named, so none vanishes.</summary>
        void Rest(YamlMappingNode block, string at)
        {
            foreach (var k in block.Children.Keys.OfType<YamlScalarNode>())
                Unsupported.Add($"'{at}.{k.Value}' (not a setting of this loss in SrTrain)");
        }

        void Val()
        {
            if (Child(Root, "val") is not { } v) return;
            if (Str(Take(v, "save_img")) is { } save && !IsTrue(save))
            {
                Set(Root, "val.save_images", new YamlScalarNode("0"));
                Renamed.Add("val.save_img false → val.save_images 0");
            }
            Ignore(v, "pbar", "val.pbar", "no progress bar here");
            Ignore(v, "suffix", "val.suffix", "validation images are named after their input");
            if (Take(v, "metrics") is YamlMappingNode metrics)
            {
                foreach (var (name, node) in metrics.Children)
                {
                    if (node is not YamlMappingNode m) continue;
                    var at = $"val.metrics.{((YamlScalarNode)name).Value}";
                    var type = Str(Take(m, "type"));
                    if (type is not (null or "calculate_psnr" or "calculate_ssim"))
                        Unsupported.Add($"'{at}.type: {type}' (SrTrain computes PSNR and SSIM, on Y and RGB, the VGG distance and the shift error)");
                    if (Take(m, "crop_border") is { } crop)
                    {
                        Set(Root, "val.crop_border", crop);
                        Renamed.Add($"{at}.crop_border → val.crop_border");
                    }
                    if (Take(m, "test_y_channel") is not null)
                        Ignored.Add($"{at}.test_y_channel (SrTrain logs both: psnr_y/ssim_y and psnr_rgb/ssim_rgb)");
                    Take(m, "better");
                    foreach (var k in m.Children.Keys.OfType<YamlScalarNode>())
                        Unsupported.Add($"'{at}.{k.Value}' (not a metric setting in SrTrain)");
                }
            }
        }

        void Logger()
        {
            if (Child(Root, "logger") is not { } l) return;
            if (Take(l, "save_checkpoint_freq") is { } freq)
            {
                Set(Root, "checkpoint.save_freq", freq);
                Renamed.Add("logger.save_checkpoint_freq → checkpoint.save_freq");
            }
            Move(l, "use_tb_logger", "use_tensorboard", "logger.use_tb_logger");
            if (Take(l, "wandb") is YamlMappingNode wandb)
            {
                if (Str(Take(wandb, "project")) is { } project && project is not ("~" or "null" or ""))
                    Unsupported.Add("'logger.wandb.project' (no Weights & Biases logging; use TensorBoard: logger.use_tensorboard)");
                Take(wandb, "resume_id");
                Take(wandb, "entity");
            }
        }

        // ---- small YAML helpers ----

        void Move(YamlMappingNode map, string from, string to, string label)
        {
            if (Take(map, from) is not { } node) return;
            var key = new YamlScalarNode(to);
            if (map.Children.ContainsKey(key))
            {
                Unsupported.Add($"'{label}' and its SrTrain name '{to}' are both given; keep one");
                return;
            }
            map.Children[key] = node;
            Renamed.Add($"{label} → {to}");
        }

        void Ignore(YamlMappingNode map, string key, string label, string why)
        {
            if (Take(map, key) is not null) Ignored.Add($"{label} ({why})");
        }

        void Cannot(YamlMappingNode map, string key, string label, string why)
        {
            if (Take(map, key) is not null) Unsupported.Add($"'{label}' ({why})");
        }

        static double Num(YamlNode node, string label) =>
            node is YamlScalarNode { Value: { } v } && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                ? d
                : throw new SrTrainException($"'{label}' must be a number");
    }

    static YamlNode? Take(YamlMappingNode map, string key)
    {
        var k = new YamlScalarNode(key);
        if (!map.Children.TryGetValue(k, out var node)) return null;
        map.Children.Remove(k);
        return node;
    }

    static YamlMappingNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var n) ? n as YamlMappingNode : null;

    static string? Str(YamlNode? node) => node is YamlScalarNode s ? s.Value ?? "" : node is null ? null : "";

    static bool IsTrue(string s) => s is "true" or "True" or "TRUE" or "yes" or "on";

    /// <summary>Sets a dotted path, creating mappings on the way; an existing mapping value is merged into.</summary>
    static void Set(YamlMappingNode root, string dotted, YamlNode value, bool merge = false)
    {
        var parts = dotted.Split('.');
        var map = root;
        foreach (var part in parts[..^1])
        {
            var k = new YamlScalarNode(part);
            if (!map.Children.TryGetValue(k, out var next) || next is not YamlMappingNode nm)
            {
                nm = new YamlMappingNode();
                map.Children[k] = nm;
            }
            map = nm;
        }
        var last = new YamlScalarNode(parts[^1]);
        if (merge && value is YamlMappingNode vm && map.Children.TryGetValue(last, out var existing) && existing is YamlMappingNode em)
            map.Children[last] = ConfigLoader.Merge(em, vm);
        else
            map.Children[last] = value;
    }

    static YamlMappingNode Clone(YamlMappingNode map)
    {
        var copy = new YamlMappingNode();
        foreach (var (k, v) in map.Children) copy.Children[k] = v is YamlMappingNode m ? Clone(m) : v;
        return copy;
    }
}

/// <summary>What reading a BasicSR / traiNNer-redux option file found: the tree in SrTrain's names, the BasicSR names
/// it read as SrTrain's (for one log line), keys that have no effect here (ignored, each with why), and keys whose
/// value SrTrain cannot honour (each with why and what to do).</summary>
internal sealed record BasicSrTranslation(YamlMappingNode Tree, IReadOnlyList<string> Renamed, IReadOnlyList<string> Ignored,
    IReadOnlyList<string> Unsupported);
