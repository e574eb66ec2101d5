using Serilog;

namespace SrTrain.Cli;

/// <summary>Ctrl+C once: ask the work to stop at a safe point (training saves a checkpoint first). Ctrl+C twice: exit
/// at once. SIGTERM is treated like the first Ctrl+C.</summary>
public sealed class Interrupt : IDisposable
{
    readonly CancellationTokenSource _cts = new();
    readonly ILogger _log;
    readonly System.Runtime.InteropServices.PosixSignalRegistration? _sigterm;
    int _presses;

    public Interrupt(ILogger log)
    {
        _log = log;
        Console.CancelKeyPress += OnCancelKeyPress;
        _sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            Request();
        });
    }

    public CancellationToken Token => _cts.Token;

    void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (Interlocked.Increment(ref _presses) == 1)
        {
            e.Cancel = true; // keep running until the work reaches a safe point
            Request();
        }
        else
        {
            _log.Warning("Second Ctrl+C: exiting at once");
            Log.CloseAndFlush();
            e.Cancel = false; // the runtime terminates the process
        }
    }

    void Request()
    {
        _log.Warning("Stop requested: finishing the current step and saving a checkpoint (Ctrl+C again to exit at once)");
        _cts.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _sigterm?.Dispose();
        _cts.Dispose();
    }
}
