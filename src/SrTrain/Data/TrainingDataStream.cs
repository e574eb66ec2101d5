using System.Runtime.ExceptionServices;

namespace SrTrain.Data;

/// <summary>Makes batches on background threads while training runs, and hands them out strictly in step order from
/// the start step. At most QueueCapacity batches exist ahead of the consumer (each worker takes a permit before it
/// claims the next step, and the consumer returns it when it takes a batch). The batch data are managed arrays until
/// <see cref="Next"/> turns them into tensors on the calling thread. Dispose stops the workers.</summary>
internal sealed class TrainingDataStream : IDisposable
{
    readonly DataPipeline _pipeline;
    readonly Thread[] _workers;
    readonly SemaphoreSlim _permits;
    readonly CancellationTokenSource _stop = new();
    readonly Dictionary<long, object> _ready = new();  // BatchData or ExceptionDispatchInfo
    readonly object _gate = new();
    long _nextClaim;
    bool _disposed;

    internal TrainingDataStream(DataPipeline pipeline, long startStep)
    {
        if (startStep < 0) throw new ArgumentOutOfRangeException(nameof(startStep));
        _pipeline = pipeline;
        NextStep = startStep;
        _nextClaim = startStep;
        _permits = new SemaphoreSlim(pipeline.Options.QueueCapacity);
        _workers = new Thread[pipeline.Options.NumWorkers];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = $"srtrain-data-{i}" };
            _workers[i].Start();
        }
    }

    /// <summary>The step whose batch <see cref="Next"/> returns.</summary>
    public long NextStep { get; private set; }

    /// <summary>The batch of <see cref="NextStep"/>, waiting for it if needed. Rethrows what its worker threw
    /// (e.g. SrTrainException when no image is usable any more).</summary>
    public TrainingBatch Next()
    {
        object item;
        lock (_gate)
        {
            while (true)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_ready.Remove(NextStep, out item!)) break;
                Monitor.Wait(_gate);
            }
            NextStep++;
        }
        _permits.Release();
        if (item is ExceptionDispatchInfo error) error.Throw();
        return ((BatchData)item).ToBatch();
    }

    void Work()
    {
        var token = _stop.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                _permits.Wait(token);
                long step = Interlocked.Increment(ref _nextClaim) - 1;
                object item;
                try
                {
                    item = _pipeline.ComputeBatch(step);
                }
                catch (Exception e)
                {
                    item = ExceptionDispatchInfo.Capture(e);
                }
                lock (_gate)
                {
                    _ready[step] = item;
                    Monitor.PulseAll(_gate);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
        _stop.Cancel();
        foreach (var w in _workers) w.Join();
        _stop.Dispose();
        _permits.Dispose();
        _ready.Clear();
    }
}
