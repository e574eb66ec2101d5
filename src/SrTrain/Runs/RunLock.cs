using System.Globalization;

namespace SrTrain.Runs;

/// <summary>One writer per run folder: an exclusive OS lock on <c>runs/&lt;name&gt;/.lock</c>, held while a process
/// trains into the folder. Two trainings in one folder interleave their checkpoints and lose metrics lines.
/// <para>The lock is a <see cref="FileStream"/> opened with <see cref="FileShare.None"/>: <c>flock(LOCK_EX)</c> on
/// Linux and macOS, a share-mode lock on Windows. The OS drops it when the process ends in any way (kill -9 included),
/// so a crash never leaves a run locked; the file itself stays and means nothing on its own.</para>
/// <para>Who holds it is written to <c>.lock-owner</c> beside it: the lock file cannot be read while it is held
/// (.NET takes a shared flock to read it on Linux, and Windows refuses to share it).</para></summary>
internal sealed class RunLock : IDisposable
{
    public const string FileName = ".lock";
    public const string OwnerFileName = ".lock-owner";

    readonly FileStream _stream;

    RunLock(string dir, FileStream stream)
    {
        Dir = dir;
        _stream = stream;
    }

    /// <summary>The locked run folder.</summary>
    public string Dir { get; }

    /// <summary>Whether <paramref name="name"/> (a file in a run folder) is the lock's, not the run's.</summary>
    public static bool IsLockFile(string name) => name is FileName or OwnerFileName;

    /// <summary>Takes the lock of <paramref name="runDir"/> (created if needed), or null when another process holds
    /// it; <paramref name="holder"/> then says which, as far as it is known.</summary>
    /// <param name="recordOwner">Write who holds it (<see cref="RecordOwner"/>); false while it is not yet known
    /// whether this process writes the run (resume may branch, leaving it untouched).</param>
    /// <exception cref="SrTrainException">The lock file cannot be created (a read-only folder, a path under a
    /// file).</exception>
    public static RunLock? TryAcquire(string runDir, out string holder, bool recordOwner = true)
    {
        var dir = Path.GetFullPath(runDir);
        var path = Path.Combine(dir, FileName);
        holder = "";
        try
        {
            Directory.CreateDirectory(dir);
            var runLock = new RunLock(dir, new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            if (recordOwner) runLock.RecordOwner();
            return runLock;
        }
        catch (IOException e) when (IsHeldElsewhere(e))
        {
            holder = ReadOwner(dir);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SrTrainException($"cannot lock the run folder {dir} ({path}): {SrTrainException.FirstLine(e)}");
        }
    }

    /// <summary>Takes the lock of <paramref name="runDir"/> or refuses in one line naming the other process.</summary>
    public static RunLock Acquire(string runDir) =>
        TryAcquireSoon(runDir, out var holder) ?? throw HeldBy(runDir, holder);

    /// <summary>How long <see cref="TryAcquireSoon"/> waits for a holder that is going away (a killed process drops
    /// its lock only once the system has torn it down, which takes a moment for a large one).</summary>
    static readonly TimeSpan DyingHolderWait = TimeSpan.FromSeconds(3);

    /// <summary><see cref="TryAcquire"/>, retried for a few seconds while another process holds the lock.</summary>
    public static RunLock? TryAcquireSoon(string runDir, out string holder, bool recordOwner = true)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var runLock = TryAcquire(runDir, out holder, recordOwner);
            if (runLock != null || clock.Elapsed >= DyingHolderWait) return runLock;
            Thread.Sleep(100);
        }
    }

    /// <summary>The refusal for a run folder another process holds.</summary>
    public static SrTrainException HeldBy(string runDir, string holder) =>
        new($"{Path.GetFullPath(runDir)} is in use by {holder}; one process at a time trains a run: wait for it to finish " +
            "or stop it, or give another --name");

    /// <summary>Writes this process (PID, host, start, command line) to <see cref="OwnerFileName"/>, for the
    /// refusal a second process prints.</summary>
    public void RecordOwner()
    {
        var owner = string.Create(CultureInfo.InvariantCulture,
            $"PID {Environment.ProcessId} on {Environment.MachineName} since {DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss}: " +
            $"srtrain {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}");
        try
        {
            File.WriteAllText(Path.Combine(Dir, OwnerFileName), owner.ReplaceLineEndings(" ") + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only the refusal message of a second process gets poorer.
        }
    }

    static string ReadOwner(string dir)
    {
        try
        {
            using var f = Runtime.RegularFile.OpenRead(Path.Combine(dir, OwnerFileName));
            var buffer = new byte[400];
            int n = f.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            var text = System.Text.Encoding.UTF8.GetString(buffer, 0, n).ReplaceLineEndings(" ").Trim();
            if (text.StartsWith("PID ", StringComparison.Ordinal)) return "another srtrain process (" + text + ")";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SrTrainException)
        {
        }
        return "another srtrain process";
    }

    /// <summary>A lock held by another open file: EWOULDBLOCK from flock on Unix (EAGAIN: 11 on Linux, 35 on macOS),
    /// ERROR_SHARING_VIOLATION or ERROR_LOCK_VIOLATION on Windows.</summary>
    static bool IsHeldElsewhere(IOException e) => OperatingSystem.IsWindows()
        ? (e.HResult & 0xFFFF) is 32 or 33
        : e.HResult == (OperatingSystem.IsMacOS() ? 35 : 11);

    public void Dispose() => _stream.Dispose();
}
