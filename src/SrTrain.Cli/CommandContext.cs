using System.CommandLine;
using Serilog;

namespace SrTrain.Cli;

/// <summary>What a command body gets: its parse result, the logger, and a way to start the run's log file once the
/// run folder is known.</summary>
public sealed record CommandContext(ParseResult Parse, ILogger Log, RunLogFileSink LogFile)
{
    public string Device => Parse.GetValue(SharedOptions.Device) ?? "auto";
    public int Threads => Parse.GetValue(SharedOptions.Threads);
}
