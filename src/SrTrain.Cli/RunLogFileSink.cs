using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace SrTrain.Cli;

/// <summary>A sink that starts writing to the run folder's log file once the run folder exists (the folder's name is
/// only known after the config is read). Events before that are kept and written first.</summary>
public sealed class RunLogFileSink : ILogEventSink, IDisposable
{
    readonly object _gate = new();
    readonly List<LogEvent> _early = new();
    Logger? _file;

    public void Open(string path)
    {
        lock (_gate)
        {
            _file?.Dispose();
            _file = new LoggerConfiguration().MinimumLevel.Verbose()
                .WriteTo.File(path, outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}")
                .CreateLogger();
            foreach (var e in _early) _file.Write(e);
            _early.Clear();
        }
    }

    public void Emit(LogEvent logEvent)
    {
        lock (_gate)
        {
            if (_file != null) _file.Write(logEvent);
            else if (_early.Count < 10_000) _early.Add(logEvent);
        }
    }

    public void Dispose()
    {
        lock (_gate) { _file?.Dispose(); _file = null; }
    }
}
