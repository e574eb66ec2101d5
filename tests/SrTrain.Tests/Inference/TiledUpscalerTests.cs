using SrTrain.Data;
using SrTrain.Inference;
using SrTrain.Runtime;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SrTrain.Tests.Inference;

public class TiledUpscalerTests(ITestOutputHelper output)
{
    static TiledUpscalerTests() => NativeRuntime.EnsureLoaded();

    /// <summary>Three 3x3 convolutions then nearest x4: each output pixel depends on LQ pixels at most 3 away.</summary>
    static Func<Tensor, Tensor> SmallConvNet(int seed, out nn.Module<Tensor, Tensor> net)
    {
        torch.manual_seed(seed);
        var body = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding: 1), nn.LeakyReLU(0.2),
            nn.Conv2d(8, 8, 3, padding: 1), nn.LeakyReLU(0.2),
            nn.Conv2d(8, 3, 3, padding: 1));
        body.eval();
        net = body;
        return x => nn.functional.interpolate(body.call(x), scale_factor: new double[] { 4, 4 }, mode: InterpolationMode.Nearest);
    }

    [Fact]
    public void Tiled_EqualsUntiled_WhenHalfTheOverlapCoversTheReceptiveField()
    {
        var g = SmallConvNet(7, out var net);
        using var _ = net;
        using var scope = torch.NewDisposeScope();
        var lq = torch.rand(1, 3, 50, 70, generator: new torch.Generator(11));
        var untiled = new TiledUpscaler(g, 4, tile: 0).Upscale(lq);
        // Inputs of 16+2·8 = 32 px: 3 rows and 4 columns of tiles, the last of each shifted inward.
        var tiled = new TiledUpscaler(g, 4, tile: 16, overlap: 8).Upscale(lq);
        Assert.Equal(untiled.shape, tiled.shape);
        double maxDiff = (tiled - untiled).abs().max().item<float>();
        output.WriteLine($"max |tiled - untiled| = {maxDiff:E3}");
        Assert.True(maxDiff < 1e-4, $"max difference {maxDiff}");
    }

    [Fact]
    public void Tiled_DiffersFromUntiled_WhenTheOverlapIsTooNarrow()
    {
        // Control for the test above: with overlap 2 the blend uses pixels 1 LQ px from a cut, which saw zero padding
        // instead of the neighbouring image, so the comparison is able to fail.
        var g = SmallConvNet(7, out var net);
        using var _ = net;
        using var scope = torch.NewDisposeScope();
        var lq = torch.rand(1, 3, 50, 70, generator: new torch.Generator(11));
        var untiled = new TiledUpscaler(g, 4, tile: 0).Upscale(lq);
        var tiled = new TiledUpscaler(g, 4, tile: 16, overlap: 2).Upscale(lq);
        Assert.True((tiled - untiled).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void Tiles_AllHaveFullSize_AndCoverTheImage()
    {
        var sizes = new List<(long H, long W)>();
        Tensor Recording(Tensor x)
        {
            sizes.Add((x.shape[2], x.shape[3]));
            return nn.functional.interpolate(x, scale_factor: new double[] { 2, 2 }, mode: InterpolationMode.Nearest);
        }
        using var scope = torch.NewDisposeScope();
        var lq = torch.rand(1, 3, 45, 20, generator: new torch.Generator(5));
        var up = new TiledUpscaler(Recording, 2, tile: 10, overlap: 4).Upscale(lq);
        // Inputs are 10+2·4 = 18 px, one every 10 px. Height 45: starts 0, 10, 20 and 27 (shifted in from 30);
        // width 20: starts 0 and 2. Every input is exactly 18x18.
        Assert.Equal(8, sizes.Count);
        Assert.All(sizes, s => Assert.Equal((18L, 18L), s));
        // Nearest x2 is position-independent, so any correct blend reproduces it exactly.
        var expected = nn.functional.interpolate(lq, scale_factor: new double[] { 2, 2 }, mode: InterpolationMode.Nearest);
        Assert.Equal(0f, (up - expected).abs().max().item<float>(), 6);
    }

    [Fact]
    public void Upscale_LeavesOnlyTheResult_InTheCallersDisposeScope()
    {
        // Per-tile tensors and the weight accumulator must not pile up: memory is meant to be bounded by the tile.
        var g = SmallConvNet(7, out var net);
        using var _ = net;
        using var scope = torch.NewDisposeScope();
        var lq = torch.rand(1, 3, 50, 70, generator: new torch.Generator(11));
        long before = scope.DisposablesCount;
        var tiled = new TiledUpscaler(g, 4, tile: 16, overlap: 8).Upscale(lq);
        Assert.Equal(before + 1, scope.DisposablesCount);
        Assert.False(tiled.IsInvalid);
    }

    [Fact]
    public void Tiled_StaysWithinOneLevel_OfUntiled_ForDeeperNetOnAPhoto()
    {
        // Eight 3x3 convolutions reach 8 LQ px, beyond the exact range (overlap/2 = 4), as real generators do.
        torch.manual_seed(3);
        var layers = new List<nn.Module<Tensor, Tensor>> { nn.Conv2d(3, 16, 3, padding: 1) };
        for (int i = 0; i < 6; i++) { layers.Add(nn.LeakyReLU(0.2)); layers.Add(nn.Conv2d(16, 16, 3, padding: 1)); }
        layers.Add(nn.LeakyReLU(0.2));
        layers.Add(nn.Conv2d(16, 3 * 4, 3, padding: 1));
        layers.Add(nn.PixelShuffle(2));
        using var net = nn.Sequential(layers);
        net.eval();
        Tensor G(Tensor x) => net.call(x);
        using var scope = torch.NewDisposeScope();
        var lq = ImageFile.ReadRgb(Path.Combine(AppContext.BaseDirectory, "TestData", "Evaluation", "chelsea_bicubic_up_x4.png"))
            .unsqueeze(0)[TensorIndex.Ellipsis, TensorIndex.Slice(0, 120), TensorIndex.Slice(0, 160)];
        var untiled = new TiledUpscaler(G, 2, tile: 0).Upscale(lq);
        var tiled = new TiledUpscaler(G, 2, tile: 40, overlap: 8).Upscale(lq);
        double mad = (tiled - untiled).abs().mean().item<float>();
        output.WriteLine($"mean |tiled - untiled| = {mad:E3}");
        Assert.True(mad < 1 / 255.0, $"mean difference {mad}");
    }

    [Fact]
    public void UpscaleBands_ReadsOnlyTiles_AndEmitsSmallRowBandsInOrder_ThatMakeUpTheTiledImage()
    {
        // The structural bound behind upscale's memory: nothing asks for more than one network input, and the output
        // leaves in bands of at most 16 rows, top to bottom, so no caller needs the whole image or output as float.
        var g = SmallConvNet(5, out var net);
        using var _ = net;
        using var scope = torch.NewDisposeScope();
        var lq = torch.rand(1, 3, 90, 61, generator: new torch.Generator(3));
        var tiler = new TiledUpscaler(g, 4, tile: 20, overlap: 6);
        var reference = tiler.Upscale(lq);
        int maxRead = 0;
        long nextRow = 0;
        int maxRows = 0;
        var assembled = torch.zeros(1, 3, 360, 244);
        tiler.UpscaleBands(90, 61, (top, left, h, w) =>
        {
            maxRead = Math.Max(maxRead, h * w);
            return lq[TensorIndex.Ellipsis, TensorIndex.Slice(top, top + h), TensorIndex.Slice(left, left + w)];
        }, (rows, first) =>
        {
            Assert.Equal(nextRow, first);
            maxRows = Math.Max(maxRows, (int)rows.shape[2]);
            assembled[TensorIndex.Ellipsis, TensorIndex.Slice(first, first + rows.shape[2]), TensorIndex.Colon].copy_(rows);
            nextRow = first + rows.shape[2];
        });
        Assert.Equal(360, nextRow);
        Assert.Equal(32 * 32, maxRead);
        Assert.True(maxRows <= 16, $"{maxRows} rows in one band");
        Assert.Equal(0f, (assembled - reference).abs().max().item<float>());
        Assert.Equal(4 * 3, tiler.TileCount(90, 61));
    }

    [Fact]
    public void TileZero_MeansWholeImage_OnlyUpTo512x512()
    {
        // --tile 0 keeps Real-ESRGAN's meaning for inputs whose activations fit; larger ones get the default tile.
        var untiled = new UpscaleOptions(Tile: 0);
        Assert.Equal(0, untiled.TileFor(512, 512));
        Assert.Equal(0, untiled.TileFor(451, 300));
        Assert.Equal(UpscaleOptions.DefaultTile, untiled.TileFor(513, 512));
        Assert.Equal(UpscaleOptions.DefaultTile, untiled.TileFor(4000, 3000));
        Assert.Equal(64, new UpscaleOptions(Tile: 64).TileFor(4000, 3000));
    }
}
