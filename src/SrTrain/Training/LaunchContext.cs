using Serilog;
using SrTrain.Distributed;

namespace SrTrain.Training;

/// <summary>How the program runs: device and threads, the logger, how to start the run's log file, and (data parallel)
/// the job's processes.</summary>
internal sealed record LaunchContext(string Device, int Threads, ILogger Log, Action<string> OpenLogFile, ProcessGroup? Group = null)
{
    public ProcessGroup Ranks => Group ?? ProcessGroup.Single;
}
