using System.Diagnostics;
using SrTrain.Data;
using SrTrain.Losses;
using SrTrain.Models;
using SrTrain.Training;
using SrTrain.Translational;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Benchmarks;

/// <summary>SrTrain's real training step on the benchmark preset: RrdbNet, VggStyleDiscriminator, VggFeatures (random
/// weights: timing does not depend on them), PerceptualLoss, Adam and SrganStep, fed with synthetic batches shaped like
/// the peer script's (a fixed random HQ batch and its bicubic LQ; with the translational term a 144-pixel full patch
/// and two different random corners per step).</summary>
internal sealed class SrganBench : IDisposable
{
    readonly BenchPreset _preset;
    readonly Tensor _hqFull;
    readonly Tensor _lqFull;
    readonly int _seed;
    /// <summary>The four corner crops while the translational term is timed; null without it.</summary>
    readonly CornerCrop[]? _corners;
    readonly FlatAdam _optG;
    readonly FlatAdam _optD;
    readonly SrganStep _step;
    readonly Device _device;

    public RrdbNet Generator { get; }
    public VggStyleDiscriminator Discriminator { get; }
    public VggFeatures Vgg { get; }

    /// <summary>HQ side of the full patch the batches are cut from (HqSize, or HqSize + scale·shift when translational).</summary>
    public int FullHqSize { get; }

    public SrganBench(BenchPreset preset, bool translational, int seed = 0, Device? device = null)
    {
        _preset = preset;
        _device = device ?? CPU;
        torch.manual_seed(seed);
        _seed = seed;
        Generator = new RrdbNet(3, 3, preset.Scale, preset.NumFeat, preset.NumBlock, preset.NumGrowCh);
        Discriminator = new VggStyleDiscriminator(3, preset.DNumFeat, preset.HqSize);
        var losses = preset.Losses(translational);
        Vgg = new VggFeatures(losses.Perceptual.LayerWeights.Keys);
        Generator.to(_device).train();
        Discriminator.to(_device).train();
        Vgg.to(_device);
        var vgg = Vgg;
        var p = losses.Perceptual;
        var perceptual = new PerceptualLoss(x => vgg.call(x), p.LayerWeights, p.Weight, p.StyleWeight, p.Criterion);
        _optG = new FlatAdam(new FlatParameters(Generator, withGrad: true), 1e-4, 0.9, 0.99);
        _optD = new FlatAdam(new FlatParameters(Discriminator, withGrad: true), 1e-4, 0.9, 0.99);
        _step = new SrganStep(Generator, Discriminator, _optG, _optD, losses, perceptual, gradClip: 0);

        FullHqSize = translational ? TranslationalCrops.FullPatchSize(preset.HqSize, preset.Scale, preset.TranslationalShift) : preset.HqSize;
        if (translational) _corners = TranslationalCrops.ComputeAll(FullHqSize, preset.Scale, preset.TranslationalShift);
        _hqFull = rand(preset.BatchSize, 3, FullHqSize, FullHqSize, device: _device);
        _lqFull = nn.functional.interpolate(_hqFull, scale_factor: new[] { 1.0 / preset.Scale, 1.0 / preset.Scale },
            mode: InterpolationMode.Bicubic, align_corners: false);
    }

    /// <summary>The batch of step <paramref name="step"/>: the whole synthetic batch, or with the translational term two
    /// different corners of it, drawn and cut as the data pipeline does (<see cref="TranslationalCrops.PickPair"/>).</summary>
    public TrainingBatch MakeBatch(long step)
    {
        if (_corners is null)
            return new TrainingBatch { Step = step, Lq = _lqFull.alias(), Hq = _hqFull.alias(), Samples = Array.Empty<SampleInfo>() };
        var (c1, c2) = TranslationalCrops.PickPair(_corners, _seed, step);
        return new TrainingBatch
        {
            Step = step,
            Lq = Crop(_lqFull, c1.LqTop, c1.LqLeft, c1.LqSize),
            Hq = Crop(_hqFull, c1.HqTop, c1.HqLeft, c1.HqSize),
            SecondView = new SecondView(Crop(_lqFull, c2.LqTop, c2.LqLeft, c2.LqSize), c1, c2),
            Samples = Array.Empty<SampleInfo>(),
        };
    }

    /// <summary>The HQ pixels of <paramref name="crop"/> in the synthetic full patch (tests check the geometry with it).</summary>
    internal Tensor HqOf(CornerCrop crop) => Crop(_hqFull, crop.HqTop, crop.HqLeft, crop.HqSize);

    static Tensor Crop(Tensor t, int top, int left, int size) =>
        t[.., .., TensorIndex.Slice(top, top + size), TensorIndex.Slice(left, left + size)];

    /// <summary>Runs one full step (G update then D update) and returns its losses.</summary>
    public Dictionary<string, double> Step(long step)
    {
        using var batch = MakeBatch(step);
        return _step.Run(step, batch) ?? throw new InvalidOperationException($"benchmark step {step}: loss not finite");
    }

    /// <summary>Times <paramref name="steps"/> steps after <paramref name="warmup"/> untimed ones; milliseconds each. On a
    /// GPU the device is synchronised before and after each step, as the peer script does.</summary>
    public IReadOnlyList<double> Time(int steps, int warmup, Action<long, double>? onStep = null)
    {
        var ms = new List<double>(steps);
        for (int i = 0; i < warmup + steps; i++)
        {
            Sync(_device);
            var clock = Stopwatch.StartNew();
            Step(i);
            Sync(_device);
            double t = clock.Elapsed.TotalMilliseconds;
            if (i >= warmup) ms.Add(t);
            onStep?.Invoke(i, t);
        }
        return ms;
    }

    /// <summary>FLOPs of one step. Forward: 2·weights·output positions per Conv2d/Linear (<see cref="FlopCounter"/>).
    /// Backward per layer: one forward's worth for the input gradient (when the input needs one) plus one for the weight
    /// gradient (when the layer is trained); so 2× forward for trained layers, 1× for frozen ones that pass a gradient
    /// on, and the first layer of a network whose input needs no gradient counts only its weight gradient.
    /// G step: G forward+backward; VGG forward on fake and on HQ, backward (input gradients) on fake; D forward on HQ
    /// (no gradient) and on fake, backward (input gradients, D frozen) on fake. D step: D forward on fake.detach() and
    /// on HQ, both backward (weights; inputs need no gradient). Translational: one more G forward+backward on the
    /// second corner. Elementwise work (activations, BN, losses, Adam) is left out: it is a few percent at most.</summary>
    public StepFlops CountStepFlops()
    {
        int b = _preset.BatchSize, lq = _preset.LqSize, hq = _preset.HqSize;
        var g = FlopCounter.Forward(Generator, x => Generator.call(x), new long[] { b, 3, lq, lq });
        var d = FlopCounter.Forward(Discriminator, x => Discriminator.call(x), new long[] { b, 3, hq, hq });
        var v = FlopCounter.Forward(Vgg, x => Vgg.call(x), new long[] { b, 3, hq, hq });
        double gf = g.Sum(l => l.ForwardFlops), g1 = g[0].ForwardFlops;
        double df = d.Sum(l => l.ForwardFlops), d1 = d[0].ForwardFlops;
        double vf = v.Sum(l => l.ForwardFlops);
        double gPass = gf + (2 * gf - g1);
        double gTotal = _corners is not null ? 2 * gPass : gPass;
        double vTotal = 2 * vf + vf;
        double dTotal = 2 * df + df + 2 * df + 2 * (2 * df - d1);
        return new StepFlops(gTotal, vTotal, dTotal);
    }

    public void Dispose()
    {
        _hqFull.Dispose();
        _lqFull.Dispose();
        _optG.Dispose();
        _optD.Dispose();
        _optG.Parameters.Dispose();
        _optD.Parameters.Dispose();
        Generator.Dispose();
        Discriminator.Dispose();
        Vgg.Dispose();
    }

    /// <summary>Waits for the device's queued work (a no-op on the CPU).</summary>
    public static void Sync(Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
    }

    public static long CountParameters(nn.Module m) => m.parameters().Sum(p => p.numel());
}

/// <summary>The FLOPs of one benchmark step, by where they occur (see <see cref="SrganBench.StepFlops"/> for the
/// counting convention).</summary>
internal sealed record StepFlops(double Generator, double Vgg, double Discriminator)
{
    public double Total => Generator + Vgg + Discriminator;
}
