using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SrTrain.Checkpoints;

/// <summary>The <c>manifest.json</c> written last into every checkpoint folder. Its presence, with every listed file at
/// its recorded size, is what makes a folder a complete checkpoint.</summary>
internal sealed record CheckpointManifest(
    [property: JsonPropertyName("format")] int Format,
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("created_utc")] DateTime CreatedUtc,
    [property: JsonPropertyName("files")] IReadOnlyList<CheckpointFileEntry> Files)
{
    public const string FileName = "manifest.json";
    public const int CurrentFormat = 1;

    /// <summary>Largest manifest read: a checkpoint's lists a handful of files in a few hundred bytes.</summary>
    const int MaxBytes = 1 << 20;

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Lists every file under <paramref name="folder"/> (recursively, manifest excluded) with size and hash.</summary>
    public static CheckpointManifest Build(long step, string folder)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(rel => rel != FileName)
            .Order(StringComparer.Ordinal)
            .Select(rel =>
            {
                var full = Path.Combine(folder, rel);
                return new CheckpointFileEntry(rel, new FileInfo(full).Length, HashFile(full));
            })
            .ToList();
        return new CheckpointManifest(CurrentFormat, step, DateTime.UtcNow, files);
    }

    public static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>SHA-256 of the first <paramref name="expectedSize"/> bytes, or null when the file holds more or fewer.
    /// Reads at most one byte past the expected size, so a file that never ends (a link to /dev/zero, a FIFO)
    /// cannot hang verification.</summary>
    public static string? HashFileBounded(string path, long expectedSize)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long left = expectedSize;
        while (left > 0)
        {
            int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) return null;
            sha.AppendData(buffer, 0, n);
            left -= n;
        }
        if (stream.Read(buffer, 0, 1) != 0) return null;
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a manifest, or returns null with the reason when it is missing, unreadable or malformed.</summary>
    public static CheckpointManifest? TryRead(string folder, out string? problem)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            problem = $"{path} is missing";
            return null;
        }
        try
        {
            var manifest = JsonSerializer.Deserialize<CheckpointManifest>(Runtime.RegularFile.ReadAllText(path, MaxBytes), JsonOptions);
            if (manifest?.Files is null)
            {
                problem = $"{path} is empty or has no \"files\" list";
                return null;
            }
            foreach (var entry in manifest.Files)
            {
                // A listed path must stay inside the checkpoint folder, or Verify could be pointed at any file.
                if (entry?.Path is null || entry.Sha256 is null || !IsInside(folder, entry.Path))
                {
                    problem = $"{path} lists an invalid file entry";
                    return null;
                }
            }
            problem = null;
            return manifest;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException or SrTrainException)
        {
            problem = $"{path} cannot be read: {SrTrainException.FirstLine(ex)}";
            return null;
        }
    }

    private static bool IsInside(string folder, string relative)
    {
        if (relative.Length == 0 || Path.IsPathRooted(relative))
            return false;
        var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        return Path.GetFullPath(Path.Combine(folder, relative)).StartsWith(root, StringComparison.Ordinal);
    }
}

/// <summary>One file of a checkpoint as recorded in its <c>manifest.json</c>.</summary>
/// <param name="Path">Path relative to the checkpoint folder, with '/' separators.</param>
/// <param name="Size">Length in bytes.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the content.</param>
internal sealed record CheckpointFileEntry(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("sha256")] string Sha256);
