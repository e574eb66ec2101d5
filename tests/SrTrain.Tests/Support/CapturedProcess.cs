using System.Diagnostics;
using System.Text;

namespace SrTrain.Tests.Support;

/// <summary>A child process with its stdout and stderr captured together, line by line, as they come: the plumbing
/// that <see cref="CliProcess"/> and <see cref="MpiJob"/> share.</summary>
public sealed class CapturedProcess : IDisposable
{
    readonly Process _p;
    readonly string _name;
    readonly StringBuilder _out = new();
    readonly object _gate = new();

    /// <param name="name">What a timeout message calls the program.</param>
    /// <param name="environment">Extra environment variables for the child.</param>
    public CapturedProcess(string name, string workingDir, string program, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        _name = name;
        var psi = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        _p = new Process { StartInfo = psi };
        // '\n' after each line, not AppendLine's Environment.NewLine: tests split the output on '\n' on every system.
        _p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_gate) _out.Append(e.Data).Append('\n'); };
        _p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_gate) _out.Append(e.Data).Append('\n'); };
        _p.Start();
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
    }

    public int Id => _p.Id;

    public bool HasExited => _p.HasExited;

    public string Output { get { lock (_gate) return _out.ToString(); } }

    /// <summary>The OS's high-water mark of the process's resident memory (on Linux VmHWM from /proc, on Windows the
    /// peak working set), read fresh.</summary>
    public long PeakResidentBytes()
    {
        _p.Refresh();
        return _p.PeakWorkingSet64;
    }

    /// <summary>Ends the process at once (SIGKILL; TerminateProcess on Windows), not its children.</summary>
    public void Kill() => _p.Kill();

    /// <summary>The exit code; past <paramref name="timeout"/>, kills the process tree and throws.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_p.WaitForExit(timeout))
        {
            _p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{_name} did not exit within {timeout}:\n{Output}");
        }
        _p.WaitForExit(); // flushes the async output readers
        return _p.ExitCode;
    }

    public void Dispose()
    {
        if (!_p.HasExited) _p.Kill(entireProcessTree: true);
        _p.Dispose();
    }
}
