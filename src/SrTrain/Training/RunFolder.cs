using System.Text.Json;
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
