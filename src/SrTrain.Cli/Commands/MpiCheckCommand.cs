using System.CommandLine;
using System.Globalization;
using SrTrain.Distributed;
using SrTrain.Runtime;

namespace SrTrain.Cli.Commands;

/// <summary>`srtrain mpi-check`, run under the launcher: is the MPI set-up usable for training, and how long does a
/// gradient-sized allreduce take.</summary>
public static class MpiCheckCommand
{
    public static Command Build()
    {
        var floats = new Option<long>("--floats")
        {
            Description = "Size in float32 values of the buffer whose allreduce is timed (the ESRGAN preset's G + D: 31200000)",
            DefaultValueFactory = _ => 1_000_000,
        };
        var cmd = new Command("mpi-check", "Under mpirun or srun: check allreduce, broadcast and the gradient average with known values, and time an allreduce")
        {
            floats,
        };
        cmd.SetAction(parse => CliApp.Run(parse, ctx =>
        {
            long n = parse.GetValue(floats);
            if (n < 0) throw new SrTrainException($"--floats {n}: must be 0 or more");
            NativeRuntime.EnsureLoaded(ctx.Log);
            var ranks = ProcessGroup.Start(RankEnvironment.Detect(), ctx.Log);
            var r = MpiSelfCheck.Run(ranks, n);
            string F(float[] v) => "[" + string.Join(" ", v.Select(x => x.ToString(CultureInfo.InvariantCulture))) + "]";
            if (ranks.IsRoot)
            {
                Console.WriteLine($"ranks {ranks.Size}: {ranks.Mpi!.Flavor} ({ranks.Mpi.Path})");
                Console.WriteLine($"allreduce sum of (rank+1)*[1 2 3 4]: {F(r.AllreduceSum)} (expected {F(r.ExpectedSum)})");
                Console.WriteLine($"bcast: '{r.Broadcast}'");
                Console.WriteLine($"gradient average of (rank+1): {r.AverageGradient.ToString(CultureInfo.InvariantCulture)} " +
                                  $"(expected {r.ExpectedAverageGradient.ToString(CultureInfo.InvariantCulture)}); non-finite vote skips on every rank: {r.SkipVoteSeen}");
                if (n > 0)
                    Console.WriteLine($"allreduce of {n:N0} floats ({n * 4 / 1e6:F1} MB): {r.AllreduceMs:F1} ms " +
                                      $"({n * 4 / 1e9 / (r.AllreduceMs / 1000):F2} GB/s algorithm bandwidth)");
                Console.WriteLine(r.Ok ? "mpi-check: OK on every rank" : "mpi-check: FAILED on at least one rank");
            }
            return r.Ok ? CliApp.ExitOk : 1;
        }));
        return cmd;
    }
}
