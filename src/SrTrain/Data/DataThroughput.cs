using System.Diagnostics;
using Serilog;

namespace SrTrain.Data;

/// <summary>How fast the pipeline feeds training, for <c>srtrain bench</c>.</summary>
internal static class DataThroughput
{
    /// <summary>Pulls batches from a <see cref="TrainingDataStream"/> for about <paramref name="seconds"/> (after
    /// one warm-up batch) and returns training samples (patches) per second, tensor creation included.</summary>
    public static double Measure(DataPipelineOptions options, double seconds, ILogger? log = null)
    {
        var pipeline = new DataPipeline(options, log);
        using var stream = pipeline.Stream(0);
        stream.Next().Dispose();
        long samples = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            using var batch = stream.Next();
            samples += batch.Lq.shape[0];
        }
        return samples / clock.Elapsed.TotalSeconds;
    }
}
