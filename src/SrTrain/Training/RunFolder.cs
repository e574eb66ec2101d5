using System.Text.Json;
using System.Text.Json.Serialization;
using SrTrain.Config;

namespace SrTrain.Training;

/// <summary>Where a run keeps everything: runs/&lt;name&gt;/{config.yml, run.json, train.log, metrics.jsonl,
/// tensorboard/, checkpoints/&lt;step&gt;/, val_images/&lt;step&gt;/}.</summary>
public sealed class RunFolder
{
    public string Dir { get; }
    public string Name => System.IO.Path.GetFileName(Dir);
    public string ConfigPath => System.IO.Path.Combine(Dir, "config.yml");
    public string LineagePath => System.IO.Path.Combine(Dir, "run.json");
    public string LogPath => System.IO.Path.Combine(Dir, "train.log");
    public string CheckpointsDir => System.IO.Path.Combine(Dir, "checkpoints");
    public string ValImagesDir => System.IO.Path.Combine(Dir, "val_images");

    public RunFolder(string dir) => Dir = System.IO.Path.GetFullPath(dir);

    public bool Exists => Directory.Exists(Dir);

    public void Create()
    {
        Directory.CreateDirectory(Dir);
        Directory.CreateDirectory(CheckpointsDir);
    }

    /// <summary>Writes the resolved config; it is also copied into every checkpoint.</summary>
    public void WriteConfig(SrTrainConfig config) => AtomicFile.WriteAllText(ConfigPath, ConfigWriter.ToYaml(config));

    public Lineage? ReadLineage() =>
        File.Exists(LineagePath) ? JsonSerializer.Deserialize<Lineage>(File.ReadAllText(LineagePath), Lineage.Json) : null;

    public void WriteLineage(Lineage lineage) =>
        AtomicFile.WriteAllText(LineagePath, JsonSerializer.Serialize(lineage, Lineage.Json));
}

/// <summary>Where a run came from. A branch (resume from an older step, or with changed losses) names its parent run
/// folder and the step it started from; its metrics continue the parent's step numbering.</summary>
public sealed record Lineage(
    string Name,
    string? ParentRun,
    long? ParentStep,
    long? TranslationalFrom,
    DateTimeOffset Created)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}

/// <summary>Small files written so that a crash leaves either the old or the new content, never a torn file.</summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text)
    {
        var tmp = path + ".tmp-" + Environment.ProcessId;
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        using (var w = new StreamWriter(fs))
        {
            w.Write(text);
            w.Flush();
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    public static void WriteAllBytes(string path, byte[] bytes)
    {
        var tmp = path + ".tmp-" + Environment.ProcessId;
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
