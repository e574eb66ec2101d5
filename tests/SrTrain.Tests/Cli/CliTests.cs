using SrTrain.Checkpoints;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Cli;

/// <summary>The real program, as a user runs it: help, user errors as one line with exit code 2, and Ctrl+C.</summary>
[Trait("Speed", "process")]
public class CliTests
{
    static void AssertNoStackTrace(string output) => Assert.DoesNotContain("   at ", output);

    [Fact]
    public void Help_ListsTheCommandsAndCommonOptions()
    {
        using var dir = new TempDir("srtrain-cli");
        var (code, output) = CliProcess.Run(dir.Path, "--help");
        Assert.Equal(0, code);
        foreach (var word in new[] { "train", "resume", "upscale", "--device", "--threads", "--log-level" })
            Assert.Contains(word, output);

        (code, output) = CliProcess.Run(dir.Path, "resume", "--help");
        Assert.Equal(0, code);
        foreach (var word in new[] { "--from", "--translational", "--run", "--name" })
            Assert.Contains(word, output);
    }

    [Fact]
    public void MissingConfigFile_IsOneLine_ExitCode2()
    {
        using var dir = new TempDir("srtrain-cli");
        var (code, output) = CliProcess.Run(dir.Path, "train", "--config", "/nonexistent/x.yaml");
        Assert.Equal(2, code);
        Assert.Contains("/nonexistent/x.yaml: config file not found", output);
        Assert.Single(output.Trim().Split('\n'));
        AssertNoStackTrace(output);
    }

    [Fact]
    public void UnknownConfigKey_IsOneLine_ExitCode2()
    {
        using var t = new TrainingTestRun();
        var path = Path.Combine(t.Dir, "bad.yaml");
        File.WriteAllText(path, "trian:\n  total_steps: 5\n");
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", path);
        Assert.Equal(2, code);
        Assert.Contains("unknown key 'trian'", output);
        AssertNoStackTrace(output);
    }

    [Theory]
    [InlineData("train")]                                  // --config is required
    [InlineData("train", "--config", "x.yaml", "--device", "gpu")]
    [InlineData("frobnicate")]
    public void BadCommandLine_IsRejected_NonZero(params string[] args)
    {
        using var dir = new TempDir("srtrain-cli");
        var (code, output) = CliProcess.Run(dir.Path, args);
        Assert.NotEqual(0, code);
        AssertNoStackTrace(output);
    }

    [Fact]
    public void CudaOnACpuBuild_IsAClearError()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("cuda", "", totalSteps: 5);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg, "--device", "cuda");
        Assert.Equal(2, code);
        Assert.Contains("CUDA is not available", output);
    }

    [UnixFact("SIGINT sent with kill(1)")]
    public void CtrlC_SavesACheckpointAtTheCurrentStep_ThenExits()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("sigint", "checkpoint: {save_freq: 100000}\nval: {val_freq: 0}\n", totalSteps: 100000);
        using var p = new CliProcess(t.Dir, "train", "--config", cfg);
        Assert.True(p.WaitForOutput("Step 20/", TimeSpan.FromMinutes(2)), p.Output);
        p.Signal("INT");
        int code = p.WaitForExit(TimeSpan.FromMinutes(1));
        Assert.Equal(130, code);
        Assert.Contains("saving a checkpoint", p.Output);

        var store = new CheckpointStore(Path.Combine(t.RunsDir, "sigint", "checkpoints"));
        var latest = store.LatestStep();
        Assert.NotNull(latest);
        Assert.True(latest >= 20 && latest < 100000, $"latest {latest}");
        store.Verify(latest!.Value);
        Assert.Contains($"Stopped at step {latest}", p.Output);
    }

    [UnixFact("SIGHUP sent with kill(1)")]
    public void Sighup_SavesACheckpointAtTheCurrentStep_ThenExits_LikeSigterm()
    {
        // Closing the terminal sends SIGHUP (on Windows, closing the console window raises the same .NET signal); its
        // default action used to end training without a checkpoint.
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("sighup", "checkpoint: {save_freq: 100000}\nval: {val_freq: 0}\n", totalSteps: 100000);
        using var p = new CliProcess(t.Dir, "train", "--config", cfg);
        Assert.True(p.WaitForOutput("Step 20/", TimeSpan.FromMinutes(2)), p.Output);
        p.Signal("HUP");
        int code = p.WaitForExit(TimeSpan.FromMinutes(1));
        Assert.Equal(130, code);
        Assert.Contains("Stop requested (SIGHUP)", p.Output);
        Assert.Contains("saving a checkpoint", p.Output);

        var store = new CheckpointStore(Path.Combine(t.RunsDir, "sighup", "checkpoints"));
        var latest = store.LatestStep();
        Assert.NotNull(latest);
        Assert.True(latest >= 20 && latest < 100000, $"latest {latest}");
        store.Verify(latest!.Value);
        Assert.Contains($"Stopped at step {latest}", p.Output);
    }

    [Fact]
    public void SelectingADevice_LogsWhetherTheCudnnAutotunerCanBeControlled()
    {
        // The line the Wine smoke looks for: found on Linux and Windows alike when libtorch's mangled names match.
        using var dir = new TempDir("srtrain-cli");
        var (code, output) = CliProcess.Run(dir.Path, "bench", "--infer", "--device", "cpu", "--log-level", "debug",
            "--steps", "1", "--warmup", "0", "--no-peaks");
        Assert.Equal(0, code);
        Assert.Contains("cuDNN autotuner control: found", output);
        Assert.DoesNotContain("cuDNN autotuner control: not found", output);
        Assert.Matches(@"libtorch 2\.10\.\d+ \(NuGet\) from \S*libtorch_cpu\.(so|dll)", output);
    }

    [UnixFact("SIGINT sent with kill(1)")]
    public void SecondCtrlC_ExitsAtOnce_LeavingEarlierCheckpointsIntact()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("sigint2", "checkpoint: {save_freq: 10}\nval: {val_freq: 0}\n", totalSteps: 100000);
        using var p = new CliProcess(t.Dir, "train", "--config", cfg);
        Assert.True(p.WaitForOutput("Step 30/", TimeSpan.FromMinutes(2)), p.Output);
        p.Signal("INT");
        p.Signal("INT");
        int code = p.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, code);
        var store = new CheckpointStore(Path.Combine(t.RunsDir, "sigint2", "checkpoints"));
        store.CleanLeftovers();
        Assert.NotEmpty(store.ListSteps());
        foreach (var s in store.ListSteps()) store.Verify(s);
    }

    [Fact]
    public void TrainingKilledAtRandomMoments_AlwaysResumesFromAnIntactCheckpoint()
    {
        // kill -9 during steps and during checkpoint writes (every 5 steps, so many kills land inside one), many
        // times; after each, the run must resume from a complete checkpoint, and finally finish.
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("killed", "checkpoint: {save_freq: 5, keep_last: 3}\nval: {val_freq: 0}\n", totalSteps: 100000);
        var runDir = Path.Combine(t.RunsDir, "killed");
        var rng = new Random(7);
        long previous = -1;
        for (int round = 0; round < 6; round++)
        {
            var args = round == 0 ? new[] { "train", "--config", cfg } : new[] { "resume", "--run", runDir };
            using (var p = new CliProcess(t.Dir, args))
            {
                // The first kill waits for the first checkpoint: on a loaded machine the first 5 steps can take longer
                // than the random delay, and a run killed before any checkpoint has nothing to resume from.
                Assert.True(p.WaitForOutput(round == 0 ? "Saved checkpoint" : "Training killed from step", TimeSpan.FromMinutes(2)), p.Output);
                Thread.Sleep(rng.Next(100, 1500));
                p.Kill();
                p.WaitForExit(TimeSpan.FromSeconds(30));
            }
            var store = new CheckpointStore(Path.Combine(runDir, "checkpoints"));
            var latest = store.LatestStep();
            Assert.NotNull(latest);
            store.Verify(latest!.Value);
            Assert.True(latest >= previous, $"latest went back from {previous} to {latest}");
            previous = latest.Value;
        }
        // The last resume finishes the run (a lower total via an override) from whatever the kills left.
        var finish = Path.Combine(t.Dir, "finish.yaml");
        File.WriteAllText(finish, $"train:\n  total_steps: {previous + 10}\n");
        var (code, output) = CliProcess.Run(t.Dir, "resume", "--run", runDir, "--config", finish);
        Assert.True(code == 0, output);
        Assert.Contains($"Finished at step {previous + 10}", output);
    }
}
