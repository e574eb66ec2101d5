using System.Diagnostics;
using Serilog.Core;
using SrTrain.Checkpoints;
using SrTrain.Config;
using SrTrain.Models;
using SrTrain.Runs;
using SrTrain.Tests.Support;
using SrTrain.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SrTrain.Tests.Distributed;

/// <summary>Data-parallel training under a real mpirun (Open MPI, 2 ranks of 1 thread each on the CPU), compared in
/// numbers with one process.</summary>
[Trait("Speed", "process")]
public class MpiJobTests
{
    // Float tolerance. 2 ranks × batch 2 and 1 rank × batch 4 differ only by float32 rounding (the sums over the batch
    // are split differently), and GAN training lets rounding grow a little with each step. Measured on this machine:
    // after 20 steps (pixel + vanilla GAN with UNetDiscriminatorSN + translational, Adam lr 1e-3) max |Δ| 1.5e-8 on
    // G and 4.5e-7 on D; after 60 steps of which 40 on 2 ranks, ~1e-5 on the trained weights and ~3e-4 on the
    // spectral-norm power-iteration vectors (weight_u, a buffer that is sensitive when the top singular values are
    // close). The weights themselves are of magnitude 0.1–1 and move by ~1e-2 over these steps.
    const double ParameterTolerance = 5e-5;
    const double BufferTolerance = 2e-3;

    /// <summary>Why these tests skip on Windows: MS-MPI's mpiexec is another launcher, and the rank processes are
    /// found through /proc.</summary>
    const string MpiRun = "Open MPI's mpirun and /proc";

    readonly ITestOutputHelper _output;

    public MpiJobTests(ITestOutputHelper output) => _output = output;

    // The one-process reference runs use 1 thread too: on a loaded 2-core machine two spinning libtorch threads per
    // process make a tiny run many times slower, and the numbers do not depend on it beyond rounding.
    static readonly LaunchContext OneThread = new("cpu", 1, Logger.None, _ => { });

    static TrainResult TrainOneRank(string config) =>
        TrainingLauncher.Train(new TrainRequest(config, null, false), OneThread, CancellationToken.None);

    const string Losses = """
        datasets:
          train: {batch_size: 4}
        losses:
          gan: {type: Vanilla, weight: 0.1, start_step: 5}
          translational: {weight: 1.0, shift: 2, start_step: 10}
        train:
          optim_d: {lr: 1.0e-3}
          scheduler: {type: MultiStep, milestones: [15], gamma: 0.5}
        val: {val_freq: 1000}
        distributed: {check_every: 5}
        """;

    [UnixFact(MpiRun)]
    public void MpiCheck_AllreduceBcastAndGradientAverage_GiveTheKnownValues()
    {
        using var t = new TrainingTestRun();
        var (code, output) = MpiJob.Run(t.Dir, 3, "mpi-check", "--floats", "100000");
        Assert.True(code == 0, output);
        Assert.Contains("allreduce sum of (rank+1)*[1 2 3 4]: [6 12 18 24] (expected [6 12 18 24])", output);
        Assert.Contains("bcast: 'hello from rank 0 of 3'", output);
        Assert.Contains("gradient average of (rank+1): 2 (expected 2); non-finite vote skips on every rank: True", output);
        Assert.Contains("mpi-check: OK on every rank", output);
    }

    [UnixFact(MpiRun)]
    public void TwoRanks_WithHalfTheBatchEach_TrainTheSameWeights_AsOneRankWithTheWholeBatch()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("eq", Losses, totalSteps: 20);
        var one = TrainOneRank(cfg);
        var (code, output) = MpiJob.Run(t.Dir, 2, "train", "--config", cfg, "--name", "eq2", "--threads", "1", "--device", "cpu");
        Assert.True(code == 0, output);
        Assert.Contains("Data parallel: 2 processes", output);
        var two = Path.Combine(t.RunsDir, "eq2");

        AssertSameWeights(one.RunDir, two, 20);
        // The logged losses are the means over both ranks' halves: the same numbers as one rank's.
        var a = MetricsLog.Read(one.RunDir).Where(r => r.Kind == "train").ToList();
        var b = MetricsLog.Read(two).Where(r => r.Kind == "train").ToList();
        Assert.Equal(a.Select(r => r.Step), b.Select(r => r.Step));
        foreach (var (ra, rb) in a.Zip(b))
            foreach (var k in new[] { "l_g_pix", "l_g_gan", "l_g_trans", "l_d" }.Where(ra.Values.ContainsKey))
                Assert.True(Math.Abs(ra.Values[k] - rb.Values[k]) < 1e-4, $"step {ra.Step} {k}: {ra.Values[k]} vs {rb.Values[k]}");
        // Rank 0 alone writes: one log and one metrics file, no second set.
        Assert.Equal(b.Count, b.Select(r => r.Step).Distinct().Count());
    }

    [UnixFact(MpiRun)]
    public void ARankKilledMidRun_FailsTheJob_ThenResumingWithOneAndWithTwoRanks_EqualsAStraightRun()
    {
        using var t = new TrainingTestRun();
        const int total = 40;
        var phase = Stopwatch.StartNew();
        void Phase(string what) { _output.WriteLine($"{what}: {phase.Elapsed.TotalSeconds:F1} s"); phase.Restart(); }
        var straight = TrainOneRank(t.WriteConfig("straight", Losses, totalSteps: total));

        Phase("straight run");
        // 2 ranks; kill -9 rank 1 as soon as the first checkpoint exists. The job must end (no rank left waiting).
        var cfg = t.WriteConfig("killed", Losses + "\ncheckpoint: {save_freq: 10, keep_last: 20}\n", totalSteps: 100_000);
        var run = Path.Combine(t.RunsDir, "killed");
        using (var job = new MpiJob(t.Dir, 2, "train", "--config", cfg, "--threads", "1", "--device", "cpu"))
        {
            var wait = Stopwatch.StartNew();
            while (!File.Exists(Path.Combine(run, "checkpoints", "latest")))
            {
                Assert.False(job.HasExited, job.Output);
                Assert.True(wait.Elapsed < TimeSpan.FromSeconds(60), "no checkpoint after 60 s:\n" + job.Output);
                Thread.Sleep(20);
            }
            var pids = job.RankPids();
            Assert.True(pids.ContainsKey(1), "rank 1's process not found:\n" + job.Output);
            Process.GetProcessById(pids[1]).Kill();
            var clock = Stopwatch.StartNew();
            int code = job.WaitForExit(TimeSpan.FromSeconds(60));
            _output.WriteLine($"mpirun exited {code} {clock.Elapsed.TotalSeconds:F1} s after the kill");
            Assert.NotEqual(0, code);
            // mpirun ended; no rank may be left behind (a zombie awaiting its reaper is dead).
            var gone = Stopwatch.StartNew();
            while (pids.Values.Any(Alive) && gone.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(50);
            Assert.DoesNotContain(pids.Values, Alive);
        }
        Phase("killed job");
        long latest = long.Parse(File.ReadAllText(Path.Combine(run, "checkpoints", "latest")).Trim());
        Assert.InRange(latest, 10, total - 20);

        // Resume with 1 rank for 10 steps, then with 2 ranks to the end.
        var to1 = Path.Combine(t.Dir, "to1.yaml");
        File.WriteAllText(to1, $"train:\n  total_steps: {latest + 10}\n");
        var r1 = TrainingLauncher.Resume(new ResumeRequest(run, null, false, null, new[] { to1 }, null), OneThread, CancellationToken.None);
        Phase($"resume from {latest} with 1 rank");
        Assert.Equal(run, r1.RunDir);
        var to2 = Path.Combine(t.Dir, "to2.yaml");
        File.WriteAllText(to2, $"train:\n  total_steps: {total}\n");
        var (code2, output) = MpiJob.Run(t.Dir, 2, "resume", "--run", run, "--config", to2, "--threads", "1", "--device", "cpu");
        Assert.True(code2 == 0, output);
        Phase("resume with 2 ranks");

        AssertSameWeights(straight.RunDir, run, total);
    }

    [UnixFact(MpiRun)]
    public void AUserError_EndsTheWholeJob_WithExitCode2_AndOneLineFromRankZero()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("odd", "datasets:\n  train: {batch_size: 3}\n", totalSteps: 20);
        var (code, output) = MpiJob.Run(t.Dir, 2, "train", "--config", cfg, "--threads", "1", "--device", "cpu");
        Assert.True(code == 2, output);
        const string line = "datasets.train.batch_size 3 is the global batch and must divide evenly over the 2 ranks";
        Assert.Single(output.Split('\n'), l => l.Contains(line));
        Assert.DoesNotContain("rank 1 ", output);
        Assert.DoesNotContain("   at ", output); // no stack trace
    }

    [UnixFact(MpiRun)]
    public void SigtermToOneRank_StopsEveryRank_AtTheSameStep_AndRankZeroSavesACheckpoint()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("term", Losses, totalSteps: 100_000);
        var run = Path.Combine(t.RunsDir, "term");
        using var job = new MpiJob(t.Dir, 2, "train", "--config", cfg, "--threads", "1", "--device", "cpu");
        var wait = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(run, "checkpoints", "latest")))
        {
            Assert.False(job.HasExited, job.Output);
            Assert.True(wait.Elapsed < TimeSpan.FromSeconds(60), "no checkpoint after 60 s:\n" + job.Output);
            Thread.Sleep(20);
        }
        using (var term = Process.Start("kill", $"-TERM {job.RankPids()[1]}")) term.WaitForExit();
        int code = job.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.True(code == 130, job.Output);
        var interrupted = System.Text.RegularExpressions.Regex.Match(job.Output, @"Interrupted at step (\d+)");
        Assert.True(interrupted.Success, job.Output);
        Assert.Equal(interrupted.Groups[1].Value, File.ReadAllText(Path.Combine(run, "checkpoints", "latest")).Trim());
    }

    static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    void AssertSameWeights(string runA, string runB, long step)
    {
        var config = ConfigLoader.LoadFile(Path.Combine(runA, "config.yml"));
        foreach (var file in new[] { CheckpointFiles.Generator, CheckpointFiles.GeneratorEma, CheckpointFiles.Discriminator })
        {
            using var scope = NewDisposeScope();
            var (ma, a) = Load(config, file, Path.Combine(runA, "checkpoints", step.ToString(), file));
            var (_, b) = Load(config, file, Path.Combine(runB, "checkpoints", step.ToString(), file));
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
            var trained = ma.named_parameters().Select(p => p.name).ToHashSet();
            foreach (bool parameters in new[] { true, false })
            {
                double worst = 0;
                string worstKey = "";
                foreach (var (k, v) in a.Where(kv => kv.Value.is_floating_point() && trained.Contains(kv.Key) == parameters))
                {
                    double d = MaxAbsDifference(v, b[k]);
                    if (d > worst) (worst, worstKey) = (d, k);
                }
                double tolerance = parameters ? ParameterTolerance : BufferTolerance;
                _output.WriteLine($"{file} {(parameters ? "parameters" : "buffers")}: max |Δ| {worst:E2} ({worstKey})");
                Assert.True(worst <= tolerance, $"{file}: {worstKey} differs by {worst:E2} (tolerance {tolerance:E0})");
            }
        }
    }

    static double MaxAbsDifference(Tensor a, Tensor b)
    {
        var x = a.to_type(ScalarType.Float64).data<double>().ToArray();
        var y = b.to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(x.Length, y.Length);
        return x.Zip(y).Select(p => Math.Abs(p.First - p.Second)).DefaultIfEmpty(0).Max();
    }

    static (nn.Module, Dictionary<string, Tensor>) Load(SrTrainConfig c, string file, string path)
    {
        nn.Module m = file == CheckpointFiles.Discriminator
            ? NetworkFactory.CreateDiscriminator(c.NetworkD, c.Datasets.Train.GtSize)
            : NetworkFactory.CreateGenerator(c.NetworkG, c.Scale);
        m.load(path);
        return (m, m.state_dict());
    }
}
