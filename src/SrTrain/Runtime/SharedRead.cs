using System.Text;

namespace SrTrain.Runtime;

/// <summary>Reads files that a writer may hold open: SrTrain's own (metrics.jsonl while a run trains, train.log,
/// TensorBoard events, checkpoints/latest during a save) or another program's. Windows refuses an open whose sharing
/// does not allow what the other handle already does, and File.ReadAllText / ReadLines / OpenRead share reading only,
/// so every `resume` failed on its own metrics log there ("being used by another process"). These share read, write
/// and delete (a reader then never blocks an atomic rename over the file either). Linux ignores sharing modes, so
/// only Windows (and the Wine smoke) shows the difference; the build bans the File.Read* shortcuts in src/
/// (BannedSymbols.txt) so that no new read goes around this class.</summary>
internal static class SharedRead
{
    const FileShare Everything = FileShare.ReadWrite | FileShare.Delete;

    /// <summary>Opens <paramref name="path"/> for reading, sharing read, write and delete with every other handle.</summary>
    public static FileStream Open(string path, int bufferSize = 4096, FileOptions options = FileOptions.None) =>
        new(path, FileMode.Open, FileAccess.Read, Everything, bufferSize, options);

    public static byte[] ReadAllBytes(string path)
    {
        using var stream = Open(path, bufferSize: 1);
        using var copy = new MemoryStream(stream.CanSeek ? (int)Math.Min(stream.Length, int.MaxValue) : 0);
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The whole file as text, decoded as UTF-8 (a byte-order mark is honoured and removed).</summary>
    public static string ReadAllText(string path)
    {
        using var reader = new StreamReader(Open(path), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>The file's lines, read lazily; the file is closed when the enumeration ends.</summary>
    public static IEnumerable<string> ReadLines(string path)
    {
        using var reader = new StreamReader(Open(path), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        while (reader.ReadLine() is { } line) yield return line;
    }
}
