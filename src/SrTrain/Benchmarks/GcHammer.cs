namespace SrTrain.Benchmarks;

/// <summary>The "GC hammer": a background thread that runs full blocking collections and finalizers in a tight loop,
/// so that any TorchSharp Scalar whose managed wrapper is unreachable while libtorch still reads it gets finalised
/// within microseconds. Code with that bug crashes in native code within seconds under it. Used by the tests and by
/// <c>srtrain bench --memory --gc-hammer</c>.</summary>
internal sealed class GcHammer : IDisposable
{
    readonly Thread _thread;
    volatile bool _stop;

    public long Collections => Interlocked.Read(ref _collections);
    long _collections;

    public GcHammer()
    {
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                // Mostly gen-0 collections: a temporary Scalar is a young object, so they finalise it just as surely,
                // at a fraction of a full collection's cost (full ones every 64th round, for everything else).
                if (_collections % 64 == 0) GC.Collect();
                else GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref _collections);
            }
        })
        { IsBackground = true, Name = "gc-hammer" };
        _thread.Start();
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
