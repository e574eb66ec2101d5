using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace SrTrain.Config;

/// <summary>Checks a YAML text's shape before it is loaded into a node tree: YamlDotNet builds nested nodes
/// recursively, so 200 KB of <c>[[[[…</c> would overflow the stack and kill the process. Walks the parser's events
/// (no recursion) and refuses nesting deeper than <see cref="InputLimits.MaxNesting"/> and single values longer than
/// <see cref="MaxScalarChars"/>.</summary>
internal static class YamlGuard
{
    /// <summary>Largest config file read: real configs are a few kilobytes.</summary>
    public const long MaxFileBytes = 4 << 20;

    /// <summary>Longest single value (a path or a name).</summary>
    public const int MaxScalarChars = 4096;

    /// <summary>Reads a config file of at most <see cref="MaxFileBytes"/>, reading no more than that even from a file
    /// that never ends (/dev/zero, a FIFO).</summary>
    public static string ReadFile(string path)
    {
        try
        {
            using var f = Runtime.RegularFile.OpenRead(path);
            var buffer = new byte[MaxFileBytes + 1];
            int n = 0, read;
            while (n < buffer.Length && (read = f.Read(buffer, n, buffer.Length - n)) > 0) n += read;
            if (n > MaxFileBytes)
                throw new SrTrainException($"{path}: the config file is larger than {MaxFileBytes >> 20} MB; a config holds a few keys");
            // A byte-order mark (Windows editors write one) is no part of the first key.
            var text = new System.Text.UTF8Encoding(false).GetString(buffer, 0, n);
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (IOException e)
        {
            throw new SrTrainException($"{path}: cannot read the config file: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new SrTrainException($"{path}: cannot read the config file: {e.Message}");
        }
    }

    public static void Check(string text, string sourceName)
    {
        int maxDepth = InputLimits.MaxNesting, depth = 0;
        var parser = new Parser(new StringReader(text));
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case MappingStart or SequenceStart:
                        if (++depth > maxDepth)
                            throw new SrTrainException($"{sourceName}: line {parser.Current.Start.Line}: the YAML nests deeper than {maxDepth} levels " +
                                                       $"(a config needs 4; raise the limit with the environment variable {InputLimits.MaxNestingVariable})");
                        break;
                    case MappingEnd or SequenceEnd:
                        depth--;
                        break;
                    case Scalar s when s.Value.Length > MaxScalarChars:
                        throw new SrTrainException($"{sourceName}: line {s.Start.Line}: a value of {s.Value.Length} characters is longer than " +
                                                   $"the {MaxScalarChars} a config value may have");
                }
            }
        }
        catch (YamlException e)
        {
            throw new SrTrainException($"{sourceName}: invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // YamlDotNet's scanner meets some malformed input with these instead of a YamlException.
            var at = parser.Current?.Start;
            throw new SrTrainException($"{sourceName}: invalid YAML{(at is null ? "" : $" after line {at.Value.Line}")}: {e.Message}");
        }
    }
}
