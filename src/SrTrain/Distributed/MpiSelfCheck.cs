using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Distributed;

/// <summary>`srtrain mpi-check`: checks a job's MPI set-up with known values before a long run, through the same code
/// the trainer uses (an allreduce, a broadcast, the flat-buffer gradient average and its non-finite vote), and times
/// the allreduce of a gradient-sized buffer.</summary>
internal static class MpiSelfCheck
{
    public sealed record Result(
        float[] AllreduceSum, float[] ExpectedSum, string Broadcast, string ExpectedBroadcast,
        float AverageGradient, float ExpectedAverageGradient, bool SkipVoteSeen, bool AllRanksOk,
        long TimedFloats, double AllreduceMs)
    {
        public bool Ok => AllRanksOk;
    }

    /// <param name="timedFloats">Size of the buffer whose allreduce is timed (ESRGAN: ~31.2M floats for G + D).</param>
    public static unsafe Result Run(ProcessGroup ranks, long timedFloats, int repeats = 3)
    {
        if (ranks.Mpi is null) throw new SrTrainException("mpi-check: start it with a launcher and at least 2 processes, e.g. mpirun -np 2 srtrain mpi-check");
        var mpi = ranks.Mpi;
        int n = ranks.Size, r = ranks.Rank;

        // Allreduce: rank r contributes (r+1)·[1 2 3 4]; the sum is n(n+1)/2·[1 2 3 4] on every rank.
        var values = new float[] { 1, 2, 3, 4 }.Select(v => v * (r + 1)).ToArray();
        fixed (float* p = values) mpi.AllreduceInPlace(p, values.Length, mpi.Float, mpi.OpSum);
        var expected = new float[] { 1, 2, 3, 4 }.Select(v => v * n * (n + 1) / 2f).ToArray();

        // Broadcast: rank 0's text everywhere.
        string text = $"hello from rank 0 of {n}";
        string got = ranks.BroadcastText(r == 0 ? text : null);

        // The trainer's own path: a flat gradient buffer of (rank+1) everywhere averages to (n+1)/2; a rank voting "not
        // finite" makes every rank skip.
        using var rankPlusOne = ((float)(r + 1)).ToScalar();
        using var gradients = full(8, rankPlusOne, ScalarType.Float32, device: CPU);
        using var sync = new MpiGradientSync(ranks);
        bool counted = sync.Average(gradients, finiteHere: true);
        float average = gradients.mean().item<float>();
        bool skipped = !sync.Average(gradients, finiteHere: r != n - 1);

        bool ok = counted && values.SequenceEqual(expected) && got == text && Math.Abs(average - (n + 1) / 2f) < 1e-6f && skipped;
        bool allOk = !ranks.AnyRank(!ok);

        // Timing: the gradient-sized allreduce, as a step of the trainer does it (one call per network).
        double ms = 0;
        if (timedFloats > 0)
        {
            using var buffer = zeros(timedFloats, ScalarType.Float32, device: CPU);
            float* p = (float*)TensorMemory.DataPointer(buffer);
            mpi.SumFloatsInPlace(p, timedFloats); // warm-up
            var times = new List<double>();
            for (int i = 0; i < repeats; i++)
            {
                ranks.Barrier("mpi-check timing");
                var clock = Stopwatch.StartNew();
                mpi.SumFloatsInPlace(p, timedFloats);
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
            ms = times.Order().ElementAt(times.Count / 2);
        }
        return new Result(values, expected, got, text, average, (n + 1) / 2f, skipped, allOk, timedFloats, ms);
    }
}
