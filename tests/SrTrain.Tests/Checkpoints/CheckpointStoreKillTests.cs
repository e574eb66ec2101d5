using System.Diagnostics;
using SrTrain.Checkpoints;
using SrTrain.Tests.Support;
using Xunit.Abstractions;

namespace SrTrain.Tests.Checkpoints;

[Trait("Speed", "slow")]
public sealed class CheckpointStoreKillTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _run = new("srtrain-ckpt-kill");

    public void Dispose() => _run.Dispose();

    /// <summary>
    /// A real process saving checkpoints in a loop (with retention and re-saves) is killed with SIGKILL at random
    /// moments. After every kill a fresh store must resume from a complete checkpoint that verifies, every listed
    /// checkpoint must verify, and after clean-up nothing the child had reported as saved may be lost.
    /// </summary>
    [Fact]
    public async Task Store_StaysConsistent_WhenTheWritingProcessIsKilledAtRandomMoments()
    {
        const int kills = 20;
        var dir = _run.File("checkpoints");
        var random = new Random(20240611);
        long lastReported = 0;
        var killsWithLeftovers = 0;

        for (var kill = 0; kill < kills; kill++)
        {
            var reported = new List<long>();
            var firstSave = new TaskCompletionSource();
            using var child = StartChild(dir);
            child.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line && line.StartsWith("saved ", StringComparison.Ordinal))
                {
                    lock (reported)
                        reported.Add(long.Parse(line["saved ".Length..]));
                    firstSave.TrySetResult();
                }
            };
            child.BeginOutputReadLine();
            var stderr = child.StandardError.ReadToEndAsync();

            var first = await Task.WhenAny(firstSave.Task, Task.Delay(TimeSpan.FromSeconds(20)));
            if (first != firstSave.Task)
            {
                child.Kill();
                Assert.Fail($"kill {kill}: the child made no checkpoint within 20 s; stderr: {await stderr}");
            }
            await Task.Delay(random.Next(0, 120));
            child.Kill(); // SIGKILL on Linux
            await child.WaitForExitAsync();
            lock (reported)
                if (reported.Count > 0)
                    lastReported = reported[^1];

            // As the next run would find it, leftovers and all.
            var store = new CheckpointStore(dir);
            var latest = store.LatestStep();
            Assert.NotNull(latest);
            store.Verify(latest.Value);
            var steps = store.ListSteps();
            Assert.Contains(latest.Value, steps);
            foreach (var step in steps)
                store.Verify(step);

            if (store.CleanLeftovers() > 0)
                killsWithLeftovers++;
            // A step moved aside for a re-save is back now, so the pointer or its fallback reaches the last report.
            var resumed = store.LatestStep();
            Assert.NotNull(resumed);
            Assert.True(resumed >= lastReported, $"kill {kill}: resumes from {resumed}, child had saved {lastReported}");
            store.Verify(resumed.Value);
            Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(dir), e => Path.GetFileName(e).StartsWith('.'));
        }

        output.WriteLine($"{kills} kills, last saved step {lastReported}, {killsWithLeftovers} kills left leftovers");
    }

    private static Process StartChild(string dir)
    {
        var testAssembly = typeof(CheckpointKillChild).Assembly.Location;
        // `dotnet test` tells its children where the dotnet host is; a bare "dotnet" from PATH is the fallback.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(testAssembly);
        start.Environment["DOTNET_STARTUP_HOOKS"] = testAssembly;
        start.Environment[CheckpointKillChild.DirVariable] = dir;
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {host}");
    }
}
