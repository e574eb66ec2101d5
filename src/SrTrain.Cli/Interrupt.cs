using System.Globalization;
using Serilog;

namespace SrTrain.Cli;

/// <summary>Ctrl+C or SIGTERM once: ask the work to stop at a safe point (training saves a checkpoint first). Twice:
/// exit at once. If the work does not reach a safe point within a grace period (a stop that arrives while the program
/// is starting up, loading, or inside one long image), the process exits anyway: checkpoints are written atomically,
/// so exiting never damages one.</summary>
public sealed class Interrupt : IDisposable
{
    /// <summary>Seconds between the first stop request and a forced exit; <c>SRTRAIN_STOP_GRACE_S</c> changes it.</summary>
    public const int DefaultGraceSeconds = 60;
    public const string GraceVariable = "SRTRAIN_STOP_GRACE_S";

    readonly CancellationTokenSource _cts = new();
    readonly ILogger _log;
    readonly System.Runtime.InteropServices.PosixSignalRegistration? _sigterm;
    readonly int _graceSeconds;
    Timer? _deadline;
    int _requests;

    public Interrupt(ILogger log)
    {
        _log = log;
        _graceSeconds = int.TryParse(Environment.GetEnvironmentVariable(GraceVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var g) && g > 0
            ? g : DefaultGraceSeconds;
        Console.CancelKeyPress += OnCancelKeyPress;
        _sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            Request("SIGTERM");
        });
    }

    public CancellationToken Token => _cts.Token;

    void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        Request("Ctrl+C");
    }

    void Request(string what)
    {
        if (Interlocked.Increment(ref _requests) == 1)
        {
            _log.Warning("Stop requested ({What}): stopping at the next safe point (training saves a checkpoint there); " +
                         "the same again exits at once, and the program exits by itself after {Grace} s", what, _graceSeconds);
            _deadline = new Timer(_ => Exit($"no safe point reached within {_graceSeconds} s of the stop request; exiting"),
                null, TimeSpan.FromSeconds(_graceSeconds), Timeout.InfiniteTimeSpan);
            _cts.Cancel();
        }
        else
        {
            Exit($"second {what}: exiting at once");
        }
    }

    void Exit(string why)
    {
        _log.Warning("{Why}", why);
        Log.CloseAndFlush();
        Console.Out.Flush();
        SrTrain.Runtime.ImmediateExit.Now(CliApp.ExitInterrupted);
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _sigterm?.Dispose();
        _deadline?.Dispose();
        _cts.Dispose();
    }
}
