using System.Diagnostics;

namespace SrTrain.Tests.Support;

/// <summary>Runs the real `srtrain` program (the apphost built next to the tests) as a child process.</summary>
public sealed class CliProcess : IDisposable
{
    readonly CapturedProcess _p;

    /// <summary>The srtrain apphost built next to the tests (SrTrain.Cli.exe on Windows).</summary>
    public static string Executable => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "SrTrain.Cli.exe" : "SrTrain.Cli");

    public CliProcess(string workingDir, params string[] args) : this(workingDir, null, args) { }

    /// <param name="environment">Extra environment variables for the child (e.g. a lowered limit); set on the
    /// child's start info, so no `env` program is needed.</param>
    public CliProcess(string workingDir, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        // On Unix through `env --default-signal=INT,HUP`: a test host started from a background job inherits SIGINT as
        // ignored (and under nohup SIGHUP), and .NET keeps an inherited "ignore", so stop tests would never see their
        // signal. `env` execs srtrain under its own pid. Windows has no signal dispositions to inherit (and no `env`).
        _p = OperatingSystem.IsWindows()
            ? new CapturedProcess("srtrain", workingDir, Executable, args, environment)
            : new CapturedProcess("srtrain", workingDir, "env", ["--default-signal=INT,HUP", Executable, .. args], environment);
        _memoryWatch = new Thread(WatchMemory) { IsBackground = true };
        _memoryWatch.Start();
    }

    readonly Thread _memoryWatch;
    long _peakBytes;

    /// <summary>The highest resident memory seen while the child ran, polled every few milliseconds: the OS's own
    /// high-water mark (VmHWM on Linux, the peak working set on Windows), which only ever rises, so a late read still
    /// sees an earlier peak.</summary>
    public long PeakMemoryBytes => Interlocked.Read(ref _peakBytes);

    void WatchMemory()
    {
        while (true)
        {
            try
            {
                if (_p.HasExited) return;
                long peak = _p.PeakResidentBytes();
                if (peak > Interlocked.Read(ref _peakBytes)) Interlocked.Exchange(ref _peakBytes, peak);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException
                                          or System.ComponentModel.Win32Exception) { return; }
            Thread.Sleep(3);
        }
    }

    public int Pid => _p.Id;

    public string Output => _p.Output;

    /// <summary>Runs to the end; returns the exit code, everything printed, and the peak resident memory.</summary>
    public static (int ExitCode, string Output, long PeakBytes) RunMeasured(string workingDir, IReadOnlyDictionary<string, string>? environment,
        TimeSpan timeout, params string[] args)
    {
        using var p = new CliProcess(workingDir, environment, args);
        int code = p.WaitForExit(timeout);
        return (code, p.Output, p.PeakMemoryBytes);
    }

    public static (int ExitCode, string Output) Run(string workingDir, params string[] args)
    {
        using var p = new CliProcess(workingDir, args);
        int code = p.WaitForExit(TimeSpan.FromMinutes(3));
        return (code, p.Output);
    }

    public int WaitForExit(TimeSpan timeout) => _p.WaitForExit(timeout);

    public bool WaitForOutput(string text, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (Output.Contains(text)) return true;
            if (_p.HasExited) return Output.Contains(text);
            Thread.Sleep(50);
        }
        return false;
    }

    /// <summary>Sends a POSIX signal (INT, TERM) with kill(1). Unix only: tests that use it are <see cref="UnixFactAttribute"/>s.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {_p.Id}");
        kill.WaitForExit();
    }

    /// <summary>Ends the child at once, as kill -9 does (TerminateProcess on Windows).</summary>
    public void Kill() => _p.Kill();

    public void Dispose() => _p.Dispose();
}
