using System.Text.Json;
using SrTrain.Config;

namespace SrTrain.Runs;

/// <summary>Where a run keeps everything: runs/&lt;name&gt;/{config.yml, run.json, train.log, metrics.jsonl,
/// tensorboard/, checkpoints/&lt;step&gt;/, val_images/&lt;step&gt;/}.</summary>
internal sealed class RunFolder
{
    /// <summary>The run folder under <paramref name="runsDir"/> whose files were written last.</summary>
    public static string MostRecent(string runsDir)
    {
        if (!Directory.Exists(runsDir))
            throw new SrTrainException($"{Path.GetFullPath(runsDir)}: no runs yet; give --run runs/<name>, or --runs-dir with the runs_dir you trained with, or train one first");
        var best = Directory.EnumerateDirectories(runsDir)
            .Where(d => File.Exists(Path.Combine(d, "config.yml")))
            .Select(d => (Dir: d, Time: LastWrite(d)))
            .OrderByDescending(x => x.Time)
            .FirstOrDefault();
        if (best.Dir == null)
            throw new SrTrainException($"{Path.GetFullPath(runsDir)}: no run folders; give --run runs/<name>, or --runs-dir with the runs_dir you trained with, or train one first");
        return best.Dir;
    }

    public string Dir { get; }
    public string Name => System.IO.Path.GetFileName(Dir);
    public string ConfigPath => System.IO.Path.Combine(Dir, "config.yml");
    public string LineagePath => System.IO.Path.Combine(Dir, "run.json");
    public string LogPath => System.IO.Path.Combine(Dir, "train.log");
    public string CheckpointsDir => System.IO.Path.Combine(Dir, "checkpoints");
    public string ValImagesDir => System.IO.Path.Combine(Dir, "val_images");

    /// <summary>The validation images of step <paramref name="step"/>: val_images/&lt;step&gt;/.</summary>
    public string ValImagesAt(long step) => System.IO.Path.Combine(ValImagesDir, step.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public RunFolder(string dir) => Dir = System.IO.Path.GetFullPath(dir);

    public bool Exists => Directory.Exists(Dir);

    /// <summary>The folder exists and holds something besides its <see cref="RunLock"/>: a run (or the start of one)
    /// that must not be overwritten.</summary>
    public bool HasContent => Exists && Directory.EnumerateFileSystemEntries(Dir).Any(e => !RunLock.IsLockFile(System.IO.Path.GetFileName(e)));

    public void Create()
    {
        Directory.CreateDirectory(Dir);
        Directory.CreateDirectory(CheckpointsDir);
    }

    /// <summary>Writes the resolved config; it is also copied into every checkpoint.</summary>
    public void WriteConfig(SrTrainConfig config) => DurableFs.WriteAllTextAtomically(ConfigPath, ConfigWriter.ToYaml(config));

    /// <summary>run.json, or null when the run has none.</summary>
    /// <exception cref="SrTrainException">It is not a regular file of at most 1 MB holding a lineage.</exception>
    public Lineage? ReadLineage()
    {
        if (!File.Exists(LineagePath)) return null;
        try
        {
            return JsonSerializer.Deserialize<Lineage>(Runtime.RegularFile.ReadAllText(LineagePath, 1 << 20), Lineage.Json);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new SrTrainException($"{LineagePath}: cannot be read as the run's lineage ({SrTrainException.FirstLine(e)})");
        }
    }

    public void WriteLineage(Lineage lineage) =>
        DurableFs.WriteAllTextAtomically(LineagePath, JsonSerializer.Serialize(lineage, Lineage.Json));

    static DateTime LastWrite(string dir) =>
        new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Select(f => f.LastWriteTimeUtc).DefaultIfEmpty(DateTime.MinValue).Max();
}
