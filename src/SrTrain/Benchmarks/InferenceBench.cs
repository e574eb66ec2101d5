using System.Diagnostics;
using SrTrain.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Benchmarks;

/// <summary>The generator alone in evaluation mode without gradients, on one InferSize² image, as SrTrain's upscaler
/// runs it (no_grad, eval).</summary>
public sealed class InferenceBench : IDisposable
{
    readonly Tensor _input;

    public RrdbNet Generator { get; }

    public InferenceBench(BenchPreset preset, int seed = 0)
    {
        torch.manual_seed(seed);
        Generator = new RrdbNet(3, 3, preset.Scale, preset.NumFeat, preset.NumBlock, preset.NumGrowCh);
        Generator.eval();
        _input = rand(1, 3, preset.InferSize, preset.InferSize);
    }

    public IReadOnlyList<double> Time(int steps, int warmup)
    {
        var ms = new List<double>(steps);
        using var noGrad = no_grad();
        for (int i = 0; i < warmup + steps; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            Generator.call(_input);
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
