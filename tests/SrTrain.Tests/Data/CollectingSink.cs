using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace SrTrain.Tests.Data;

/// <summary>Keeps log events in memory so tests can count warnings.</summary>
sealed class CollectingSink : ILogEventSink
{
    readonly List<LogEvent> _events = new();

    public void Emit(LogEvent logEvent)
    {
        lock (_events) _events.Add(logEvent);
    }

    public List<string> Warnings
    {
        get { lock (_events) return _events.Where(e => e.Level == LogEventLevel.Warning).Select(e => e.RenderMessage()).ToList(); }
    }

    public List<string> Messages
    {
        get { lock (_events) return _events.Select(e => e.RenderMessage()).ToList(); }
    }

    public ILogger CreateLogger() => new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(this).CreateLogger();
}
