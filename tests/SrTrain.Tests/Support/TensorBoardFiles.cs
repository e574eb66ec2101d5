using SrTrain.Runs;

namespace SrTrain.Tests.Support;

/// <summary>Reads what training wrote to TensorBoard, for tests.</summary>
internal static class TensorBoardFiles
{
    /// <summary>Every event's (step, summary tags, whether it holds an image) in a file, in order.</summary>
    public static IEnumerable<(long Step, IReadOnlyList<string> Tags, bool IsImage)> Read(string file)
    {
        foreach (var record in TensorBoardEvents.Records(File.ReadAllBytes(file)))
        {
            var e = global::Tensorboard.Event.Parser.ParseFrom(record.Data);
            var values = e.Summary?.Value.ToList() ?? [];
            yield return (e.Step, values.Select(v => v.Tag).ToList(), values.Any(v => v.Image != null));
        }
    }
}
