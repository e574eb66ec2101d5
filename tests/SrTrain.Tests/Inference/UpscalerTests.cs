using SrTrain.Data;
using SrTrain.Inference;
using SrTrain.Interop;
using SrTrain.Models;
using SrTrain.Runtime;
using SrTrain.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SrTrain.Tests.Inference;

public class UpscalerTests(ITestOutputHelper output)
{
    static UpscalerTests() => NativeRuntime.EnsureLoaded();

    static string TestFile(string file) => Path.Combine(AppContext.BaseDirectory, "TestData", "Inference", file);

    /// <summary>SRVGGNetCompact (16 features, 4 body convs, x4) trained with the quickstart recipe for 600 steps.</summary>
    const string TrainedSrVgg = "srvgg_x4_nf16_nc4_quickstart.pth";

    [Fact]
    public void Tiled_EqualsUntiled_ForTrainedCompactModelOnPhoto_WithDefaultTileAndOverlap()
    {
        // SRVGGNetCompact with 6 convs sees 6 LQ pixels around each output pixel; the default overlap 16 discards 8
        // pixels at every cut, so tiling must not change the result beyond float rounding. The 600x400 photo is cut
        // into 3x2 tiles of the default 192+2*16 pixels.
        using var upscaler = Upscaler.Load(TestFile(TrainedSrVgg), CPU);
        Assert.Equal(new GeneratorSpec(GeneratorSpec.SrVggNetCompact, 4, 3, 3, 16, 4, 0), upscaler.Spec);
        using var scope = torch.NewDisposeScope();
        var lq = ImageFile.ReadRgb(Path.Combine(AppContext.BaseDirectory, "TestData", "Evaluation", "coffee_hq.png")).unsqueeze(0);
        var untiled = upscaler.Tiled(0, 16).Upscale(lq).clamp(0, 1);
        var tiler = new TiledUpscaler(upscaler.Run, upscaler.Scale); // defaults: tile 192, overlap 16
        Assert.Equal((192, 16), (tiler.Tile, tiler.Overlap));
        var tiled = tiler.Upscale(lq).clamp(0, 1);
        var diff = (tiled - untiled).abs();
        double mean = diff.mean().item<float>(), max = diff.max().item<float>();
        output.WriteLine($"trained SRVGGNetCompact, default tiling: mean |tiled - untiled| = {mean:E3}, max {max:E3}; output std {untiled.std().item<float>():F3}");
        Assert.True(max < 1e-4, $"max difference {max}");
    }

    [Fact]
    public void Tiled_StaysWithinALevelOfUntiled_ForReferenceRrdb_WhoseReceptiveFieldExceedsTheOverlap()
    {
        // RRDBNet (BasicSR's reference weights) sees far beyond the default overlap, so tiles are not exact; the
        // cross-fade must keep the mean difference well below one 8-bit level. Raw outputs (the random-init network's
        // output is near 0, so clamping would hide differences).
        using var upscaler = Upscaler.Load(SrTrain.Tests.Models.ReferenceData.PathOf("rrdbnet_x4_nf16_nb2_gc8.pth"), CPU);
        using var scope = torch.NewDisposeScope();
        var lq = ImageFile.ReadRgb(TestFile("chelsea_lqx4.png"))[.., ..48, ..72].unsqueeze(0); // 1x2 tiles of 24+2*16
        var untiled = upscaler.Tiled(0, 16).Upscale(lq);
        var tiled = upscaler.Tiled(24, 16).Upscale(lq);
        var narrow = upscaler.Tiled(24, 2).Upscale(lq);
        double mean = (tiled - untiled).abs().mean().item<float>();
        double meanNarrow = (narrow - untiled).abs().mean().item<float>();
        output.WriteLine($"reference RRDBNet, tile 24: mean |tiled - untiled| = {mean:E3} with overlap 16, {meanNarrow:E3} with overlap 2; " +
                         $"output std {untiled.std().item<float>():E3}");
        Assert.True(mean < 1 / 255.0, $"mean difference {mean}");
        // Control: the comparison can fail, and the overlap is what reduces the difference.
        Assert.True(meanNarrow > 2 * mean, $"overlap 2 gives {meanNarrow}, overlap 16 {mean}");
    }

    [Fact]
    public void Run_PadsToTheMultipleRrdbX2Needs_AndReturnsExactlyTwiceTheSize()
    {
        using var upscaler = Upscaler.Load(SrTrain.Tests.Models.ReferenceData.PathOf("rrdbnet_x2_nf16_nb1_gc8.pth"), CPU);
        Assert.Equal(2, upscaler.Multiple);
        using var scope = torch.NewDisposeScope();
        var lq = ImageFile.ReadRgb(TestFile("chelsea_lqx4.png")).unsqueeze(0); // 112x75: odd height
        var sr = upscaler.Run(lq);
        Assert.Equal(new long[] { 1, 3, 150, 224 }, sr.shape);
        // Tiny images cannot be reflect-padded (the pad must be shorter than the side): the edge is repeated instead.
        Assert.Equal(new long[] { 1, 3, 2, 6 }, upscaler.Run(lq[.., .., ..1, ..3]).shape);
    }

    [Fact]
    public void SrVggNetCompactFile_IsDetected_AndLoadsToTheSameOutputs()
    {
        // What the quickstart's runs write: SRVGGNetCompact's state dict wrapped as {'params_ema': ...}.
        using var dir = new TempDir("srtrain-srvgg");
        torch.manual_seed(3);
        using var net = new SrVggNetCompact(3, 3, numFeat: 8, numConv: 3, upscale: 2);
        net.eval();
        var path = dir.File("net_g_ema.pth");
        WeightFile.WriteGenerator(net, path);

        using var loaded = NetworkFactory.LoadGenerator(path, out var spec);
        Assert.Equal(new GeneratorSpec(GeneratorSpec.SrVggNetCompact, 2, 3, 3, 8, 3, 0), spec);
        loaded.eval();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = torch.rand(1, 3, 9, 7, generator: new torch.Generator(5));
        Assert.Equal(0, (net.call(x) - loaded.call(x)).abs().max().item<float>());
    }

    [Fact]
    public void SrVggNetCompactDetection_RejectsALastConvThatIsNotChannelsTimesScaleSquared()
    {
        using var scope = torch.NewDisposeScope();
        var sd = new Dictionary<string, Tensor>
        {
            ["body.0.weight"] = torch.zeros(8, 3, 3, 3),
            ["body.0.bias"] = torch.zeros(8),
            ["body.1.weight"] = torch.zeros(8),
            ["body.2.weight"] = torch.zeros(8, 8, 3, 3),
            ["body.2.bias"] = torch.zeros(8),
            ["body.3.weight"] = torch.zeros(8),
            ["body.4.weight"] = torch.zeros(20, 8, 3, 3),
            ["body.4.bias"] = torch.zeros(20),
        };
        var e = Assert.Throws<SrTrainException>(() => GeneratorSpec.Detect(sd, "x.pth"));
        Assert.Contains("20 output channels", e.Message);
        sd["body.4.weight"] = torch.zeros(48, 8, 3, 3);
        Assert.Equal(new GeneratorSpec(GeneratorSpec.SrVggNetCompact, 4, 3, 3, 8, 1, 0), GeneratorSpec.Detect(sd, "x.pth"));
    }
}
