using System.Diagnostics;
using System.Text;

namespace SrTrain.Tests.Support;

/// <summary>Runs the real `srtrain` program (the apphost built next to the tests) as a child process.</summary>
public sealed class CliProcess : IDisposable
{
    readonly Process _p;
    readonly StringBuilder _out = new();
    readonly object _gate = new();

    public CliProcess(string workingDir, params string[] args) : this(workingDir, null, args) { }

    /// <param name="environment">Extra environment variables for the child (e.g. a lowered limit).</param>
    public CliProcess(string workingDir, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        // Through `env --default-signal=INT`: a test host started from a background job inherits SIGINT as ignored,
        // and .NET keeps an inherited "ignore", so Ctrl+C tests would never see their signal.
        var psi = new ProcessStartInfo("env")
        {
            WorkingDirectory = workingDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--default-signal=INT");
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SrTrain.Cli"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        _p = new Process { StartInfo = psi };
        _p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_gate) _out.AppendLine(e.Data); };
        _p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_gate) _out.AppendLine(e.Data); };
        _p.Start();
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
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

    public string Output { get { lock (_gate) return _out.ToString(); } }

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

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_p.WaitForExit(timeout))
        {
            _p.Kill(entireProcessTree: true);
            throw new TimeoutException($"srtrain did not exit within {timeout}:\n{Output}");
        }
        _p.WaitForExit(); // flushes the async output readers
        return _p.ExitCode;
    }

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

    public void Dispose()
    {
        if (!_p.HasExited) _p.Kill(entireProcessTree: true);
        _p.Dispose();
    }
}
