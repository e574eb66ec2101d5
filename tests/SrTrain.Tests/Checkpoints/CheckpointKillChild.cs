using SrTrain.Checkpoints;

namespace SrTrain.Tests.Checkpoints;

/// <summary>
/// The child process of the kill -9 test: saves checkpoints in a loop until it is killed. A test assembly cannot be
/// run for its own code (its entry point is the test SDK's empty one), so the test starts
/// <c>dotnet exec SrTrain.Tests.dll</c> with this assembly as a .NET startup hook; the hook runs before that empty
/// Main and only does anything when <see cref="DirVariable"/> is set.
/// </summary>
internal static class CheckpointKillChild
{
    public const string DirVariable = "SRTRAIN_CHECKPOINT_KILL_CHILD_DIR";

    // A child whose parent died must not run on; real runs are killed within a second or two.
    private static readonly TimeSpan MaxLifetime = TimeSpan.FromSeconds(30);

    public static void Run(string dir)
    {
        var store = new CheckpointStore(dir);
        // What the trainer does at start-up: clear what the killed predecessor left, resume after the latest.
        store.CleanLeftovers();
        var step = (store.LatestStep() ?? 0) + 1;
        var random = new Random();
        var started = DateTime.UtcNow;
        var output = Console.Out;
        for (var version = 0; DateTime.UtcNow - started < MaxLifetime; version++)
        {
            // Larger files widen the window in which a kill lands mid-write.
            var length = random.Next(1, 400_000);
            store.Save(step, tmp =>
            {
                File.WriteAllBytes(Path.Combine(tmp, "net_g.pth"), CheckpointStoreTests.Content(step, "g", version, length));
                File.WriteAllBytes(Path.Combine(tmp, "net_d.pth"), CheckpointStoreTests.Content(step, "d", version, 5000));
            });
            store.ApplyRetention(keepLast: 3, keepEvery: 10);
            output.WriteLine($"saved {step}");
            output.Flush();
            // Every third save is saved again, to exercise replacing a step.
            if (version % 3 != 2)
                step++;
        }
    }
}
