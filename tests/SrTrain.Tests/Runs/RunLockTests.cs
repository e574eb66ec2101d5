using SrTrain.Runs;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Runs;

/// <summary>One writer per run folder (issue 23): the OS lock on runs/&lt;name&gt;/.lock.</summary>
public sealed class RunLockTests : IDisposable
{
    readonly TempDir _dir = new("srtrain-runlock");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void SecondLock_OnTheSameRun_IsRefused_NamingTheHolder_UntilTheFirstIsReleased()
    {
        var run = _dir.File("runs/r");
        using (var first = RunLock.Acquire(run))
        {
            // Another open of the lock file conflicts even within one process (flock is per open file, share modes
            // per handle), so this stands in for a second srtrain.
            Assert.Null(RunLock.TryAcquire(run, out var holder));
            Assert.Contains($"PID {Environment.ProcessId} on {Environment.MachineName}", holder);
            var e = Assert.Throws<SrTrainException>(() => RunLock.Acquire(run));
            Assert.Contains("is in use by another srtrain process (PID", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        using var again = RunLock.Acquire(run);
        Assert.Equal(Path.GetFullPath(run), again.Dir);
    }

    [Fact]
    public void LockFiles_DoNotMakeAFolderARun()
    {
        var run = new RunFolder(_dir.File("runs/empty"));
        using (RunLock.Acquire(run.Dir)) Assert.False(run.HasContent);
        File.WriteAllText(Path.Combine(run.Dir, "config.yml"), "name: empty\n");
        Assert.True(run.HasContent);
    }

    [Fact]
    public void LockInAFolderUnderAFile_IsAUserError()
    {
        File.WriteAllText(_dir.File("file"), "x");
        var e = Assert.Throws<SrTrainException>(() => RunLock.Acquire(_dir.File("file/runs/r")));
        Assert.Contains("file/runs/r", e.Message);
    }
}
