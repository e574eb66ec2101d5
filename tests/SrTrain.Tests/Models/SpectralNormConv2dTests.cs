using SrTrain.Models;
using SrTrain.Runtime;
using TorchSharp;
using static SrTrain.Tests.Models.ReferenceData;
using static TorchSharp.torch;

namespace SrTrain.Tests.Models;

public class SpectralNormConv2dTests
{
    static SpectralNormConv2dTests() => NativeRuntime.EnsureLoaded();

    static Tensor Buffer(nn.Module m, string name) => m.state_dict()[name].detach().clone();

    [Fact]
    public void StateDict_HasPyTorchSpectralNormKeys()
    {
        using var withBias = new SpectralNormConv2d(4, 6, 3, 1, 1, bias: true);
        Assert.Equal(new[] { "bias", "weight_orig", "weight_u", "weight_v" }, withBias.state_dict().Keys.OrderBy(k => k));
        Assert.Equal(new long[] { 6 }, withBias.state_dict()["weight_u"].shape);
        Assert.Equal(new long[] { 4 * 3 * 3 }, withBias.state_dict()["weight_v"].shape);
        // Only weight_orig and bias are trained; u and v are buffers.
        Assert.Equal(new[] { "bias", "weight_orig" }, withBias.named_parameters().Select(p => p.name).OrderBy(k => k));

        using var noBias = new SpectralNormConv2d(4, 6, 3, 1, 1, bias: false);
        Assert.Equal(new[] { "weight_orig", "weight_u", "weight_v" }, noBias.state_dict().Keys.OrderBy(k => k));
    }

    [Fact]
    public void Forward_UpdatesU_InTrainingMode_AndNotInEvalMode()
    {
        using var conv = new SpectralNormConv2d(3, 5, 3, 1, 1);
        var x = randn(1, 3, 8, 8);

        conv.eval();
        var u0 = Buffer(conv, "weight_u");
        var v0 = Buffer(conv, "weight_v");
        using (no_grad()) conv.call(x);
        Assert.Equal(0.0, MaxAbsDiff(Buffer(conv, "weight_u"), u0));
        Assert.Equal(0.0, MaxAbsDiff(Buffer(conv, "weight_v"), v0));

        conv.train();
        conv.call(x);
        Assert.True(MaxAbsDiff(Buffer(conv, "weight_u"), u0) > 1e-3);

        // One power iteration, v first: v1 = normalize(Wᵀu0), u1 = normalize(W v1).
        var w = conv.state_dict()["weight_orig"].detach().reshape(5, -1);
        var v1 = w.t().mv(u0);
        v1 = v1 / v1.norm();
        var u1 = w.mv(v1);
        u1 = u1 / u1.norm();
        Assert.True(MaxAbsDiff(Buffer(conv, "weight_v"), v1) < 1e-6);
        Assert.True(MaxAbsDiff(Buffer(conv, "weight_u"), u1) < 1e-6);
    }

    [Fact]
    public void PowerIteration_ConvergesToLargestSingularValue()
    {
        using var conv = new SpectralNormConv2d(4, 8, 3, 1, 1);
        conv.train();
        var x = randn(1, 4, 4, 4);
        using (no_grad())
            for (int i = 0; i < 200; i++) conv.call(x);

        var w = conv.state_dict()["weight_orig"].detach().reshape(8, -1);
        var sigmaMax = linalg.svdvals(w)[0].item<float>();
        var sigma = Buffer(conv, "weight_u").dot(w.mv(Buffer(conv, "weight_v"))).item<float>();
        Assert.Equal(sigmaMax, sigma, 3);
        // The normalised weight then has spectral norm 1.
        var normed = conv.NormalizedWeight().detach().reshape(8, -1);
        Assert.Equal(1.0, linalg.svdvals(normed)[0].item<float>(), 3);
    }

    [Fact]
    public void Backward_Works_AfterSeveralTrainingForwards()
    {
        // u and v change in place each training forward; the graph of an earlier forward must still be usable.
        using var conv = new SpectralNormConv2d(3, 4, 3, 1, 1);
        conv.train();
        var x = randn(2, 3, 6, 6);
        var loss = conv.call(x).square().mean() + conv.call(x).mean();
        loss.backward();
        var grad = conv.named_parameters().Single(p => p.name == "weight_orig").parameter.grad;
        Assert.NotNull(grad);
        Assert.True(grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void ModuleTo_MovesSpectralNormState_ToAnotherDtype()
    {
        // .to(...) replaces the registered tensors; the fields used by forward must follow (same path as a GPU move).
        using var net = new UNetDiscriminatorSN(3, numFeat: 4);
        net.to(ScalarType.Float64);
        net.train();
        var y = net.call(randn(1, 3, 16, 16, dtype: ScalarType.Float64));
        Assert.Equal(ScalarType.Float64, y.dtype);
        Assert.Equal(new long[] { 1, 1, 16, 16 }, y.shape);
        Assert.All(net.state_dict().Values, t => Assert.Equal(ScalarType.Float64, t.dtype));
    }
}
