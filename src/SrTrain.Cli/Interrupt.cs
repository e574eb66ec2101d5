using System.Globalization;
using System.Runtime.InteropServices;
using Serilog;

namespace SrTrain.Cli;

/// <summary>Ctrl+C, SIGTERM or SIGHUP (a closed terminal; on Windows, a closed console window) once: ask the work to stop
/// at a safe point (training saves a checkpoint first). Twice: exit at once. If the work does not reach a safe point
/// within a grace period (a stop that arrives while the program is starting up, loading, or inside one long image), the
/// process exits anyway: checkpoints are written atomically, so exiting never damages one.</summary>
public sealed class Interrupt : IDisposable
{
    /// <summary>Seconds between the first stop request and a forced exit; <c>SRTRAIN_STOP_GRACE_S</c> changes it.</summary>
    public const int DefaultGraceSeconds = 60;
    public const string GraceVariable = "SRTRAIN_STOP_GRACE_S";

    readonly CancellationTokenSource _cts = new();
    readonly ILogger _log;
    readonly PosixSignalRegistration _sigterm;
    readonly PosixSignalRegistration _sighup;
    readonly int _graceSeconds;
    Timer? _deadline;
    int _requests;

    public Interrupt(ILogger log)
    {
        _log = log;
        _graceSeconds = int.TryParse(Environment.GetEnvironmentVariable(GraceVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var g) && g > 0
            ? g : DefaultGraceSeconds;
        Console.CancelKeyPress += OnCancelKeyPress;
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => OnSignal(ctx, "SIGTERM"));
        // .NET raises SIGHUP on Windows for CTRL_CLOSE_EVENT (the console window closed) and SIGTERM for
        // CTRL_SHUTDOWN_EVENT.
        _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP,
            ctx => OnSignal(ctx, OperatingSystem.IsWindows() ? "console window closed" : "SIGHUP"));
    }

    /// <summary>On Windows the process is ended as soon as a close or shutdown handler returns (and about 5 s after the
    /// event in any case), so the handler keeps it alive while the work stops and saves: the process ends on its own
    /// when the work is done, or when the grace period's forced exit comes. On Linux the handler only asks.</summary>
    void OnSignal(PosixSignalContext ctx, string what)
    {
        ctx.Cancel = true;
        Request(what);
        if (OperatingSystem.IsWindows())
            Thread.Sleep(TimeSpan.FromSeconds(_graceSeconds + 5));
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
        Console.Error.Flush();
        SrTrain.Runtime.ImmediateExit.Now(CliApp.ExitInterrupted);
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _sigterm.Dispose();
        _sighup.Dispose();
        _deadline?.Dispose();
        _cts.Dispose();
    }
}
