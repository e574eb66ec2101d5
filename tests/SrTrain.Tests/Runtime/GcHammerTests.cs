using SrTrain.Benchmarks;
using SrTrain.Inference;
using SrTrain.Interop;
using SrTrain.Models;
using SrTrain.Runs;
using SrTrain.Tests.Models;
using SrTrain.Tests.Support;
using SrTrain.Training;
using static TorchSharp.torch;

namespace SrTrain.Tests.Runtime;

/// <summary>Real training, validation and a tiled upscale while <see cref="GcHammer"/> collects garbage without pause.
/// Before SrTrain kept every Scalar alive (and had its own Adam, BatchNorm, LeakyReLU and PReLU), this crashed the test
/// process in libtorch within seconds ("Expected false to be true … toFloat at c10/core/Scalar.h"). The suite runs a
/// short form; SRTRAIN_GC_HAMMER_STEPS=2000 (scripts/gc-hammer.sh) runs the long one.</summary>
[Trait("Speed", "slow")]
[Collection(AloneCollection.Name)]
public class GcHammerTests
{
    static int Steps(int shortForm) =>
        int.TryParse(Environment.GetEnvironmentVariable("SRTRAIN_GC_HAMMER_STEPS"), out var n) && n > 0 ? n : shortForm;

    /// <summary>A torchvision-layout VGG-16 (features.0 … features.28) with random weights: timing and the Scalar paths
    /// do not depend on the values, and the real file cannot be downloaded here.</summary>
    static string RandomVgg16(string dir)
    {
        manual_seed(5);
        using var vgg = new VggFeatures(new[] { "relu5_3" });
        var path = Path.Combine(dir, "vgg16-random.pth");
        WeightFile.Write(vgg.state_dict(), path, PthWrapping.Plain);
        return path;
    }

    [Theory]
    [InlineData("UNetDiscriminatorSN", 32, 24)]
    [InlineData("VGGStyleDiscriminator", 128, 4)]
    public void Training_WithEveryLoss_SurvivesConstantGarbageCollection(string discriminator, int gtSize, int shortSteps)
    {
        using var t = new TrainingTestRun();
        int steps = Steps(shortSteps);
        var cfg = t.WriteConfig("hammer-" + discriminator, $$$"""
            datasets:
              train: {gt_size: {{{gtSize}}}, num_workers: 2}
            network_d: {type: {{{discriminator}}}, num_feat: 4}
            path: {vgg16: {{{TrainingTestRun.YamlPath(RandomVgg16(t.Dir))}}}}
            losses:
              pixel: {weight: 1.0}
              perceptual: {weight: 0.1, layer_weights: {relu1_2: 0.1, relu2_2: 0.1, relu3_3: 1.0}}
              gan: {type: RaGAN, weight: 0.01, start_step: 0}
              translational: {weight: 1.0, shift: 2, start_step: {{{steps / 2}}}}
            train:
              grad_clip: 0.5
              ema_decay: 0.99
            val: {val_freq: {{{steps}}}}
            logger: {print_freq: 10}
            checkpoint: {save_freq: {{{steps}}}}
            """, totalSteps: steps);

        TrainResult result;
        long collections;
        using (var hammer = new GcHammer())
        {
            result = t.Train(cfg);
            collections = hammer.Collections;
        }

        Assert.Equal(steps, result.FinalStep);
        Assert.True(collections > steps, $"only {collections} collections in {steps} steps: the hammer did not run");
        var val = MetricsLog.Read(result.RunDir).Where(r => r.Kind == "val").ToList();
        Assert.Single(val);
        Assert.All(val, r => Assert.True(double.IsFinite(r.Values["psnr_y"]) && double.IsFinite(r.Values["vgg_dist"])));
        var train = MetricsLog.Read(result.RunDir).Where(r => r.Kind == "train").ToList();
        Assert.Contains(train, r => r.Values.ContainsKey("l_g_trans") && r.Values.ContainsKey("l_g_percep") && r.Values.ContainsKey("l_d"));
    }

    [Fact]
    public void TiledUpscale_UnderConstantGarbageCollection_EqualsTheUndisturbedResult()
    {
        var net = new RrdbNet(3, 3, 4, 16, 2, 8);
        WeightFile.LoadInto(net, WeightFile.Read(ReferenceData.PathOf("rrdbnet_x4_nf16_nb2_gc8.pth")), "reference");
        net.eval();
        var lq = ReferenceData.ReadF32("rrdbnet_x4_nf16_nb2_gc8.input.f32", 1, 3, 12, 10).repeat(1, 1, 3, 4);
        var tiled = new TiledUpscaler(x => net.call(x), 4, tile: 8, overlap: 2);
        Tensor expected;
        using (no_grad()) expected = tiled.Upscale(lq);
        using var hammer = new GcHammer();
        for (int i = 0; i < Steps(3); i++)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var again = tiled.Upscale(lq);
            Assert.True(again.eq(expected).all().item<bool>(), $"round {i}: the tiled output changed under GC pressure");
        }
    }
}
