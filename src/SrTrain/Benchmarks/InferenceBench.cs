using System.Diagnostics;
using SrTrain.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Benchmarks;

/// <summary>The generator alone in evaluation mode without gradients, on one InferSize² image, as SrTrain's upscaler
/// runs it (no_grad, eval).</summary>
internal sealed class InferenceBench : IDisposable
{
    readonly Tensor _input;
    readonly Device _device;

    public RrdbNet Generator { get; }

    public InferenceBench(BenchPreset preset, int seed = 0, Device? device = null)
    {
        _device = device ?? CPU;
        torch.manual_seed(seed);
        Generator = new RrdbNet(3, 3, preset.Scale, preset.NumFeat, preset.NumBlock, preset.NumGrowCh);
        Generator.to(_device).eval();
        _input = rand(1, 3, preset.InferSize, preset.InferSize, device: _device);
    }

    public IReadOnlyList<double> Time(int steps, int warmup)
    {
        var ms = new List<double>(steps);
        using var noGrad = no_grad();
        for (int i = 0; i < warmup + steps; i++)
        {
            using var scope = NewDisposeScope();
            SrganBench.Sync(_device);
            var clock = Stopwatch.StartNew();
            Generator.call(_input);
            SrganBench.Sync(_device);
            double t = clock.Elapsed.TotalMilliseconds;
            if (i >= warmup) ms.Add(t);
        }
        return ms;
    }

    /// <summary>Forward FLOPs of one inference (convention of <see cref="FlopCounter"/>).</summary>
    public double CountFlops() =>
        FlopCounter.Forward(Generator, x => Generator.call(x), _input.shape).Sum(l => (double)l.ForwardFlops);

    public void Dispose()
    {
        _input.Dispose();
        Generator.Dispose();
    }
}
