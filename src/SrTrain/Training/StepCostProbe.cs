using System.Diagnostics;
using SrTrain.Config;
using static TorchSharp.torch;

namespace SrTrain.Training;

/// <summary>Times, once at start-up, what each training phase's networks cost per step, so the ETA can estimate a phase
/// before it runs: one forward pass of the generator on a batch of LQ patches and one of the discriminator on HQ
/// patches (under no_grad, in eval mode so the spectral-norm vectors and BatchNorm statistics are not touched, on
/// zeros so the random generators are not either), best of two. A phase's seconds per step are then
/// 3·G (forward and backward) + 3·G more with the translational term (the second corner) + 9·D with the GAN term
/// (the G step's D passes and backward, the D step's two forwards and backwards). The perceptual term is not probed:
/// a phase where it starts later is "not timed yet" until it runs.</summary>
internal static class StepCostProbe
{
    /// <summary>Phase (-1 for the first, else its start step) → seconds per step, for each phase the probe can price.</summary>
    public static IReadOnlyDictionary<long, double> Measure(SrTrainConfig c, TrainingParts p, IEnumerable<long> phaseStarts, int ranks)
    {
        int batch = Math.Max(1, c.Datasets.Train.BatchSize / Math.Max(1, ranks));
        int gt = c.Datasets.Train.GtSize, lq = Math.Max(1, gt / c.Scale);
        double g = Time(p.G, [batch, 3, lq, lq]);
        double d = p.D is null ? 0 : Time(p.D, [batch, 3, gt, gt]);
        var l = c.Losses;
        var result = new Dictionary<long, double>();
        foreach (var phase in phaseStarts.Prepend(-1))
        {
            long step = Math.Max(0, phase);
            bool laterPerceptual = Math.Max(l.Perceptual.Weight, l.Perceptual.StyleWeight) > 0 && l.Perceptual.StartStep > 0 && step >= l.Perceptual.StartStep;
            if (laterPerceptual) continue;
            double seconds = 3 * g;
            if (p.Step.TranslationalActive(step)) seconds += 3 * g;
            if (p.Step.GanActive(step)) seconds += 9 * d;
            result[phase] = seconds;
        }
        return result;
    }

    static double Time(nn.Module<Tensor, Tensor> net, long[] shape)
    {
        bool wasTraining = net.training;
        var device = net.parameters().FirstOrDefault()?.device ?? CPU;
        double best = double.MaxValue;
        try
        {
            net.eval();
            using var noGrad = no_grad();
            for (int i = 0; i < 2; i++)
            {
                using var scope = NewDisposeScope();
                var x = zeros(shape, device: device);
                var clock = Stopwatch.StartNew();
                // Reading one value back waits for a GPU to finish.
                net.call(x).sum().item<float>();
                best = Math.Min(best, clock.Elapsed.TotalSeconds);
            }
        }
        finally
        {
            if (wasTraining) net.train();
        }
        return best;
    }
}
