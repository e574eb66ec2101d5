using SrTrain.Checkpoints;
using SrTrain.Models;
using SrTrain.Runtime;
using SrTrain.Tests.Support;
using SrTrain.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SrTrain.Tests.Training;

public class FlatAdamTests
{
    public FlatAdamTests() => NativeRuntime.EnsureLoaded();

    static Tensor ReadF32(string name, params long[] shape)
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "Training", name));
        var floats = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, floats, 0, bytes.Length);
        return tensor(floats, shape);
    }

    [Fact]
    public void Parameters_AreViewsOfOneBuffer_AndBackwardWritesIntoTheFlatGradient()
    {
        manual_seed(0);
        var net = new SrVggNetCompact(3, 3, 8, 2, 4);
        var before = net.call(ones(1, 3, 6, 6)).detach().clone();
        using var flat = new FlatParameters(net, withGrad: true);
        Assert.Equal(net.parameters().Sum(p => p.numel()), flat.Count);
        // Same weights after flattening: the output is unchanged.
        Assert.True(net.call(ones(1, 3, 6, 6)).detach().eq(before).all().item<bool>());

        net.call(ones(1, 3, 6, 6)).sum().backward();
        var expected = cat(net.parameters().Select(p => p.grad!.flatten()).ToArray());
        Assert.True(flat.Grad!.eq(expected).all().item<bool>());
        Assert.True(flat.Grad!.abs().sum().item<float>() > 0);

        // Writing the flat buffer writes the network's weights.
        using (no_grad()) flat.Data.zero_();
        Assert.All(net.parameters(), p => Assert.Equal(0f, p.abs().sum().item<float>()));

        flat.ZeroGrad();
        Assert.Equal(0f, flat.Grad!.abs().sum().item<float>());
        net.call(ones(1, 3, 6, 6)).sum().backward();
        Assert.True(flat.Grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Step_MatchesPyTorchAdam_WithAChangingLearningRateAndWeightDecay()
    {
        // Reference: torch.optim.Adam (scripts/reference/make_adam_reference.py, PyTorch 1.13), 6 steps.
        var p0 = ReadF32("adam_ref.params0.f32", 5, 7);
        var grads = ReadF32("adam_ref.grads.f32", 6, 5, 7);
        var after = ReadF32("adam_ref.after.f32", 6, 5, 7);
        var holder = new ParameterHolder(p0);
        using var flat = new FlatParameters(holder, withGrad: true);
        using var adam = new FlatAdam(flat, 1e-2, 0.9, 0.99, 1e-8, weightDecay: 0.01);
        for (int t = 0; t < 6; t++)
        {
            adam.LearningRate = 1e-2 * (1 - 0.1 * t);
            flat.Grad!.copy_(grads[t].flatten());
            adam.Step();
            var diff = (holder.p - after[t]).abs().max().item<float>();
            Assert.True(diff < 2e-7, $"step {t + 1}: max |SrTrain − PyTorch| = {diff}");
        }
        Assert.Equal(6, adam.StepCount);
    }

    [Fact]
    public void Step_MatchesTorchSharpAdam_OnANetwork()
    {
        manual_seed(0);
        var a = new SrVggNetCompact(3, 3, 8, 2, 4);
        var b = new SrVggNetCompact(3, 3, 8, 2, 4);
        b.load_state_dict(a.state_dict());
        using var flat = new FlatParameters(a, withGrad: true);
        using var ours = new FlatAdam(flat, 1e-3, 0.9, 0.99, weightDecay: 1e-4);
        using var theirs = optim.Adam(b.parameters(), 1e-3, 0.9, 0.99, weight_decay: 1e-4);
        manual_seed(1);
        var x = rand(2, 3, 8, 8);
        var y = rand(2, 3, 32, 32);
        for (int i = 0; i < 5; i++)
        {
            ours.ZeroGrad();
            nn.functional.l1_loss(a.call(x), y).backward();
            ours.Step();
            theirs.zero_grad();
            nn.functional.l1_loss(b.call(x), y).backward();
            theirs.step();
        }
        foreach (var ((name, pa), pb) in a.named_parameters().Zip(b.parameters()))
            Assert.True(allclose(pa, pb, rtol: 1e-5, atol: 1e-7), $"{name}: max diff {(pa - pb).abs().max().item<float>()}");
    }

    [Fact]
    public void StateDict_RoundTrips_ByName()
    {
        manual_seed(0);
        var net = new SrVggNetCompact(3, 3, 8, 2, 4);
        using var flat = new FlatParameters(net, withGrad: true);
        using var adam = new FlatAdam(flat, 1e-3);
        for (int i = 0; i < 3; i++)
        {
            adam.ZeroGrad();
            net.call(rand(1, 3, 6, 6)).square().mean().backward();
            adam.Step();
        }
        using var dir = new TempDir("srtrain-adam");
        var path = dir.File("optim.pt");
        StateDictFile.Write(path, adam.StateDict());
        var copy = new SrVggNetCompact(3, 3, 8, 2, 4);
        using var flat2 = new FlatParameters(copy, withGrad: true);
        using var adam2 = new FlatAdam(flat2, 1e-3);
        adam2.LoadStateDict(StateDictFile.Read(path));
        Assert.Equal(3, adam2.StepCount);
        var (saved, restored) = (adam.StateDict(), adam2.StateDict());
        Assert.Equal(saved.Keys.Order(), restored.Keys.Order());
        foreach (var (name, t) in saved) Assert.True(t.allclose(restored[name], 0, 0), name);
        Assert.True(saved.Where(kv => kv.Key.StartsWith("exp_avg_sq.")).Sum(kv => kv.Value.abs().sum().item<float>()) > 0);
    }

    [Fact]
    public void LegacyTorchSharpOptimizerFile_IsRefusedInOneLine()
    {
        // Checkpoints written before SrTrain's own Adam hold TorchSharp's optimizer format (a format of the project's
        // first day): reading one says what it is, instead of failing somewhere inside the tensor decoder.
        manual_seed(0);
        var net = new SrVggNetCompact(3, 3, 8, 2, 4);
        using var old = optim.Adam(net.parameters(), 1e-3, 0.9, 0.99);
        old.zero_grad();
        net.call(rand(1, 3, 6, 6)).square().mean().backward();
        old.step();
        using var dir = new TempDir("srtrain-adam");
        var path = dir.File("optim_g.pt");
        old.save_state_dict(path);
        var e = Assert.Throws<InvalidDataException>(() => StateDictFile.Read(path));
        Assert.Contains("TorchSharp's own format", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ParameterNoOutputReaches_StaysPut_WhileTheOthersFollowPyTorchAdam()
    {
        // torch.optim.Adam skips a parameter whose grad is None; the flat gradient is never None, so with weight decay
        // an unused parameter moved (0.049 in 5 steps at weight decay 0.1). Reference for the used one: PyTorch's Adam
        // on it alone (adam_ref.*, scripts/reference/make_adam_reference.py).
        var p0 = ReadF32("adam_ref.params0.f32", 5, 7);
        var grads = ReadF32("adam_ref.grads.f32", 6, 5, 7);
        var after = ReadF32("adam_ref.after.f32", 6, 5, 7);
        var holder = new OneUsedOneNot(p0, full(new long[] { 3 }, 2f));
        using var flat = new FlatParameters(holder, withGrad: true);
        var unused = flat.FindUnused(() => holder.call(ones(2)));
        Assert.Equal(new[] { "unused" }, unused);
        using var adam = new FlatAdam(flat, 1e-2, 0.9, 0.99, 1e-8, weightDecay: 0.01);
        adam.SkipUntouched(unused);
        for (int t = 0; t < 6; t++)
        {
            adam.LearningRate = 1e-2 * (1 - 0.1 * t);
            flat.ZeroGrad();
            holder.used.grad!.copy_(grads[t]);
            adam.Step();
            var diff = (holder.used - after[t]).abs().max().item<float>();
            Assert.True(diff < 2e-7, $"step {t + 1}: max |SrTrain − PyTorch| = {diff}");
        }
        Assert.True(holder.unused.eq(2f).all().item<bool>());
        var state = adam.StateDict();
        Assert.Equal(0f, state["exp_avg.unused"].abs().sum().item<float>());
        Assert.Equal(0f, state["exp_avg_sq.unused"].abs().sum().item<float>());
    }

    [Fact]
    public void ParametersCutLooseFromTheFlatBuffers_StopTheStep_NamingOne()
    {
        // module.zero_grad() sets gradients to None (backward then writes new tensors), and a dtype move replaces the
        // parameters: the optimizer would update buffers the network no longer reads, silently.
        manual_seed(0);
        var net = new SrVggNetCompact(3, 3, 8, 1, 4);
        using var flat = new FlatParameters(net, withGrad: true);
        using var adam = new FlatAdam(flat, 1e-3);
        net.call(ones(1, 3, 6, 6)).sum().backward();
        adam.Step();

        net.zero_grad();
        net.call(ones(1, 3, 6, 6)).sum().backward();
        var e = Assert.Throws<InvalidOperationException>(adam.Step);
        // The first parameter's new gradient starts at offset 0 like its view did; the second one's gives it away.
        Assert.Contains("parameter body.0.bias is no longer part of the optimizer's flat buffers: its gradient", e.Message);
        Assert.Contains("module.zero_grad()", e.Message);

        var moved = new SrVggNetCompact(3, 3, 8, 1, 4);
        using var flat2 = new FlatParameters(moved, withGrad: true);
        using var adam2 = new FlatAdam(flat2, 1e-3);
        moved.to(ScalarType.Float64);
        e = Assert.Throws<InvalidOperationException>(adam2.Step);
        Assert.Contains("the parameter was replaced", e.Message);
    }

    sealed class OneUsedOneNot : nn.Module<Tensor, Tensor>
    {
        public readonly Parameter used;
        public readonly Parameter unused;

        public OneUsedOneNot(Tensor a, Tensor b) : base(nameof(OneUsedOneNot))
        {
            used = new Parameter(a.clone());
            unused = new Parameter(b.clone());
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => x * used.sum();
    }

    sealed class ParameterHolder : nn.Module
    {
        public readonly Parameter p;

        public ParameterHolder(Tensor initial) : base(nameof(ParameterHolder))
        {
            p = new Parameter(initial.clone());
            RegisterComponents();
        }
    }
}
