using System.Diagnostics;

namespace SrTrain.Tests.Support;

/// <summary>Runs the real `srtrain` program (the apphost built next to the tests) as a child process.</summary>
public sealed class CliProcess : IDisposable
{
    readonly CapturedProcess _p;

    /// <summary>The srtrain apphost built next to the tests.</summary>
    public static string Executable => Path.Combine(AppContext.BaseDirectory, "SrTrain.Cli");

    public CliProcess(string workingDir, params string[] args) : this(workingDir, null, args) { }

    /// <param name="environment">Extra environment variables for the child (e.g. a lowered limit).</param>
    public CliProcess(string workingDir, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        // Through `env --default-signal=INT,HUP`: a test host started from a background job inherits SIGINT as ignored
        // (and under nohup SIGHUP), and .NET keeps an inherited "ignore", so stop tests would never see their signal.
        _p = new CapturedProcess("srtrain", workingDir, "env", ["--default-signal=INT,HUP", Executable, .. args], environment);
        _memoryWatch = new Thread(WatchMemory) { IsBackground = true };
        _memoryWatch.Start();
    }

    readonly Thread _memoryWatch;
    long _peakBytes;

    /// <summary>The highest resident memory (VmHWM) seen in /proc while the child ran, polled every few milliseconds
    /// (the mark only ever rises, so a late read still sees an earlier peak). The child is `env`, which execs srtrain
    /// under the same pid.</summary>
    public long PeakMemoryBytes => Interlocked.Read(ref _peakBytes);

    void WatchMemory()
    {
        while (true)
        {
            try
            {
                if (_p.HasExited) return;
                foreach (var line in File.ReadLines($"/proc/{_p.Id}/status"))
                {
                    if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                    long kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
                    if (kb * 1024 > Interlocked.Read(ref _peakBytes)) Interlocked.Exchange(ref _peakBytes, kb * 1024);
                }
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException) { return; }
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

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {_p.Id}");
        kill.WaitForExit();
    }

    public void Dispose() => _p.Dispose();
}
