using Serilog;
using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Degradation;
using SrTrain.Interop;
using SrTrain.Distributed;
using SrTrain.Evaluation;
using SrTrain.Losses;
using SrTrain.Models;
using SrTrain.Translational;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Training;

/// <summary>Builds what the config describes: networks, optimizers, losses, data and validation. Fails fast, before any
/// training, on everything the user must fix (missing VGG weights, a bad data folder, a weight file that does not fit).</summary>
internal static class TrainingSetup
{
    /// <param name="ranks">Data parallel: this rank makes its share of each batch, averages gradients with the others, and
    /// only rank 0 validates. Default: one process.</param>
    public static TrainingParts Build(SrTrainConfig c, Device device, ILogger log, ProcessGroup? ranks = null)
    {
        ranks ??= ProcessGroup.Single;
        var l = c.Losses;
        torch.manual_seed(c.Seed);

        // Perceptual loss first: the most common start-up mistake is its missing weight file.
        var (perceptual, vgg) = BuildPerceptual(c, device, log);

        var g = NetworkFactory.CreateGenerator(c.NetworkG, c.Scale);
        if (!string.IsNullOrWhiteSpace(c.Path.PretrainNetworkG))
        {
            var skipped = NetworkFactory.LoadPretrained(g, c.NetworkG, c.Scale, c.Path.PretrainNetworkG, c.Path.ParamKeyG, c.Path.StrictLoadG);
            if (skipped.Count > 0)
                log.Warning("path.strict_load_g false: {Count} entr(ies) of {Path} not loaded, left as initialised: {Skipped}",
                    skipped.Count, c.Path.PretrainNetworkG, string.Join(", ", skipped));
            log.Information("Generator initialised from {Path}{Key}", c.Path.PretrainNetworkG,
                string.IsNullOrWhiteSpace(c.Path.ParamKeyG) ? "" : $" ({c.Path.ParamKeyG}, else params, as BasicSR's param_key_g)");
        }
        // Networks go to their device first; only then are their parameters laid out in flat buffers (moving a module
        // afterwards would replace its Parameters and cut them loose from the optimizer).
        g.to(device).train();
        var optG = Adam(g, c.Train.OptimG);
        SkipUntouched(optG, g, () => zeros(1, c.NetworkG.NumInCh, 16, 16, device: device), "generator", log);
        var gEma = NetworkFactory.CreateGenerator(c.NetworkG, c.Scale).to(device);
        var ema = new Ema(g, optG.Parameters, gEma, c.Train.EmaDecay);

        nn.Module<Tensor, Tensor>? d = null;
        FlatAdam? optD = null;
        if (l.Gan.Weight > 0)
        {
            d = NetworkFactory.CreateDiscriminator(c.NetworkD, c.Datasets.Train.GtSize);
            if (!string.IsNullOrWhiteSpace(c.Path.PretrainNetworkD))
            {
                // BasicSR's layout (UNetDiscriminatorSN: weight_orig, weight_u, weight_v), under param_key_d (default params).
                // An explicit param_key_d is BasicSR's (that entry, else params); none reads params, a bare state dict too.
                var key = string.IsNullOrWhiteSpace(c.Path.ParamKeyD) ? null : c.Path.ParamKeyD;
                var sd = WeightFile.Read(c.Path.PretrainNetworkD, key);
                try
                {
                    var source = $"path.pretrain_network_d ({c.Path.PretrainNetworkD})";
                    if (c.Path.StrictLoadD) WeightFile.LoadInto(d, sd, source);
                    else if (WeightFile.LoadFitting(d, sd, source) is { Count: > 0 } skipped)
                        log.Warning("path.strict_load_d false: {Count} entr(ies) of {Path} not loaded, left as initialised: {Skipped}",
                            skipped.Count, c.Path.PretrainNetworkD, string.Join(", ", skipped));
                }
                finally { foreach (var t in sd.Values) t.Dispose(); }
                log.Information("Discriminator initialised from {Path} ({Key})", c.Path.PretrainNetworkD, key ?? "params");
            }
            d = d.to(device);
            d.train();
            optD = Adam(d, c.Train.OptimD);
            int hq = c.Datasets.Train.GtSize;
            SkipUntouched(optD, d, () => zeros(1, c.NetworkD.NumInCh, hq, hq, device: device), "discriminator", log);
        }
        if (d is null && !string.IsNullOrWhiteSpace(c.Path.PretrainNetworkD))
            log.Warning("path.pretrain_network_d is set but losses.gan.weight is 0: no discriminator is trained, the file is not read");
        log.Information("Generator {G} ({GParams:N0} parameters){D}", c.NetworkG.Type, Count(g),
            d is null ? "" : $", discriminator {c.NetworkD.Type} ({Count(d):N0} parameters)");
        log.Information("Losses: {Losses}", Describe(l));

        // One translational schedule for the data (when to cut a second corner) and the step (when to run it).
        var translational = TranslationalSchedule.From(l);
        var data = new PipelineTrainingData(c, log, new BatchShard(ranks.Rank, ranks.Size), translational);
        var sync = GradientSyncFactory.Create(ranks, device, c.Distributed.Backend, log);
        Validator? validator = null;
        if (!string.IsNullOrWhiteSpace(c.Datasets.Val.DatarootGt))
        {
            if (ranks.IsRoot) validator = new Validator(c, vgg, device, log); // rank 0 alone validates
        }
        else
            log.Warning("No validation folder (datasets.val.dataroot_gt): no validation metrics will be written");

        return new TrainingParts
        {
            G = g,
            Ema = ema,
            D = d,
            OptG = optG,
            OptD = optD,
            Step = new SrganStep(g, d, optG, optD, l, perceptual, c.Train.GradClip, sync, translational, Sharpener(l, device, log)),
            GradientSync = sync,
            Data = new DeviceTrainingData(data, device),
            Validator = validator,
        };
    }

    /// <summary>BasicSR's USMSharp on the training device when a loss compares with the sharpened GT (losses.*.gt_usm).</summary>
    static Func<Tensor, Tensor>? Sharpener(LossesConfig l, Device device, ILogger log)
    {
        if (!SrganStep.UsesSharpenedGt(l)) return null;
        log.Information("USM-sharpened GT (BasicSR's USMSharp) for the {Losses} loss(es)", string.Join(", ", SrganStep.SharpenedGtLosses(l)));
        var usm = new UsmSharp(device);
        return hq => usm.Apply(hq);
    }

    /// <summary>BasicSR's PerceptualLoss as losses.perceptual describes it (null when its weight and style_weight are
    /// 0), and the VGG-16 of validation's vgg_dist (null without VGG-16 weights). The loss's VGG-16 serves both when it
    /// is the plain one (ImageNet input normalisation, no range_norm), as it always did; a VGG-19 loss leaves vgg_dist
    /// to path.vgg16 when that is set.</summary>
    static (PerceptualLoss? Loss, VggFeatures? DistanceVgg) BuildPerceptual(SrTrainConfig c, Device device, ILogger log)
    {
        var p = c.Losses.Perceptual;
        bool lossOn = p.Weight > 0 || p.StyleWeight > 0;
        bool shared = p.VggType == "vgg16" && p.UseInputNorm && !p.RangeNorm;
        PerceptualLoss? loss = null;
        VggFeatures? distance = null;
        if (lossOn)
        {
            // Validation's perceptual distance uses relu5_3 etc. as well as the loss's layers.
            var layers = shared ? p.LayerWeights.Keys.Concat(PerceptualDistance.Layers.Keys).Distinct() : p.LayerWeights.Keys;
            var path = VggWeightLocation.Resolve(p.VggType == "vgg19" ? c.Path.Vgg19 : c.Path.Vgg16, p.VggType, "losses.perceptual");
            var extractor = LoadVgg(path, p.VggType, layers, p.UseInputNorm, p.RangeNorm, device, log);
            loss = new PerceptualLoss(x => extractor.call(x), p.LayerWeights, p.Weight, p.StyleWeight, p.Criterion);
            if (shared) distance = extractor;
        }
        if (distance is null && !string.IsNullOrWhiteSpace(c.Path.Vgg16))
        {
            var path = VggWeightLocation.Resolve(c.Path.Vgg16, "vgg16", "validation's vgg_dist");
            distance = LoadVgg(path, "vgg16", PerceptualDistance.Layers.Keys, true, false, device, log);
        }
        return (loss, distance);
    }

    static VggFeatures LoadVgg(string path, string vggType, IEnumerable<string> layers, bool useInputNorm, bool rangeNorm, Device device, ILogger log)
    {
        var vgg = NetworkFactory.LoadVgg(path, vggType, layers, useInputNorm, rangeNorm);
        log.Information("{Vgg} weights from {Path}", VggLayerNames.DisplayName(vggType), path);
        return (VggFeatures)vgg.to(device);
    }

    /// <summary>Finds parameters that no output of the network reaches (in eval mode, so a spectral norm's power
    /// iteration does not advance) and has the optimizer leave them alone, as torch.optim.Adam does for a parameter
    /// whose gradient is None.</summary>
    static void SkipUntouched(FlatAdam opt, nn.Module<Tensor, Tensor> net, Func<Tensor> input, string what, ILogger log)
    {
        net.eval();
        var unused = opt.Parameters.FindUnused(() => net.call(input()));
        net.train();
        if (unused.Count == 0) return;
        opt.SkipUntouched(unused);
        log.Warning("The {What}'s parameter(s) {Names} reach no output: they are never updated (torch.optim.Adam skips a parameter without a gradient)",
            what, string.Join(", ", unused));
    }

    static FlatAdam Adam(nn.Module m, OptimizerConfig o) =>
        new(new FlatParameters(m, withGrad: true), o.Lr, o.Betas[0], o.Betas[1], weightDecay: o.WeightDecay);

    static long Count(nn.Module m) => m.parameters().Sum(p => p.numel());

    static string Describe(LossesConfig l)
    {
        var parts = new List<string>();
        if (l.Pixel.Weight > 0) parts.Add($"pixel {l.Pixel.Criterion} ×{l.Pixel.Weight} from {l.Pixel.StartStep}");
        if (l.Perceptual.Weight > 0 || l.Perceptual.StyleWeight > 0)
        {
            var p = l.Perceptual;
            var what = p.Weight > 0 ? $"perceptual ×{p.Weight}" : "perceptual";
            if (p.VggType != "vgg16" || p.Criterion != "l1" || p.StyleWeight > 0)
                what += $" ({p.VggType}, {p.Criterion}{(p.StyleWeight > 0 ? $", style ×{p.StyleWeight}" : "")})";
            parts.Add($"{what} from {p.StartStep}");
        }
        if (l.Gan.Weight > 0) parts.Add($"GAN {l.Gan.Type} ×{l.Gan.Weight} from {l.Gan.StartStep}");
        if (l.Translational.Weight > 0) parts.Add($"translational ×{l.Translational.Weight} (shift {l.Translational.Shift}, {l.Translational.Views} views) from {l.Translational.StartStep}");
        return string.Join(", ", parts);
    }
}
