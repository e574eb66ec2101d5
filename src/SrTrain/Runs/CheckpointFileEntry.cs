using System.Text.Json.Serialization;

namespace SrTrain.Runs;

/// <summary>One file of a checkpoint as recorded in its <c>manifest.json</c>.</summary>
/// <param name="Path">Path relative to the checkpoint folder, with '/' separators.</param>
/// <param name="Size">Length in bytes.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the content.</param>
public sealed record CheckpointFileEntry(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("sha256")] string Sha256);
