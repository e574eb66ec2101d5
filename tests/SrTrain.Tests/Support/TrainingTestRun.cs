using Serilog.Core;
using SrTrain.Config;
using SrTrain.Runtime;
using SrTrain.Training;

namespace SrTrain.Tests.Support;

/// <summary>A temporary folder with a tiny but real training config: SRVGGNetCompact on crops of two CC0 photos
/// (TestData/Training), so a run of a few dozen steps takes seconds on a CPU.</summary>
internal sealed class TrainingTestRun : IDisposable
{
    readonly TempDir _dir = new();

    public string Dir => _dir.Path;
    public string RunsDir => Path.Combine(Dir, "runs");

    static readonly string Data = Path.Combine(AppContext.BaseDirectory, "TestData", "Training");

    public TrainingTestRun() => NativeRuntime.EnsureLoaded();

    /// <summary>Writes a config file; <paramref name="extraYaml"/> is merged on top (same keys replace).</summary>
    public string WriteConfig(string name, string extraYaml = "", int totalSteps = 40)
    {
        var baseYaml = $"""
            name: {name}
            scale: 4
            seed: 3
            runs_dir: {YamlPath(RunsDir)}
            datasets:
              train:
                dataroot_gt: {YamlPath(Path.Combine(Data, "train"))}
                gt_size: 32
                batch_size: 2
                num_workers: 1
                cache_images: true
              val:
                dataroot_gt: {YamlPath(Path.Combine(Data, "val"))}
            network_g:
              type: SRVGGNetCompact
              num_feat: 8
              num_block: 2
            network_d:
              type: UNetDiscriminatorSN
              num_feat: 4
            losses:
              pixel:
                weight: 1.0
              translational:
                shift: 2
            train:
              total_steps: {totalSteps}
              optim_g:
                lr: 1.0e-3
              ema_decay: 0.9
            val:
              val_freq: 20
              save_images: 1
            logger:
              print_freq: 10
              use_tensorboard: false
            checkpoint:
              save_freq: 20
              keep_last: 10
            """;
        var root = ConfigLoader.ParseYaml(baseYaml, "base");
        if (extraYaml.Length > 0) root = ConfigLoader.Merge(root, ConfigLoader.ParseYaml(extraYaml, "extra"));
        var path = Path.Combine(Dir, name + ".yaml");
        File.WriteAllText(path, ConfigWriter.ToYaml(ConfigLoader.Bind(root, path)));
        return path;
    }

    /// <summary>A path as a single-quoted YAML scalar: in double quotes a Windows path's backslashes are escapes
    /// (<c>"C:\Users"</c> is a bad <c>\U</c> escape); in single quotes only a quote is special.</summary>
    public static string YamlPath(string path) => "'" + path.Replace("'", "''") + "'";

    public static LaunchContext Context() => new("cpu", 2, Logger.None, _ => { });

    public TrainResult Train(string configPath, CancellationToken cancel = default) =>
        TrainingLauncher.Train(new TrainRequest(configPath, null, false), Context(), cancel);

    public TrainResult Resume(string runDir, long? from = null, bool translational = false, params string[] overrides) =>
        TrainingLauncher.Resume(new ResumeRequest(runDir, from, translational, null, overrides, null), Context(), CancellationToken.None);

    public void Dispose() => _dir.Dispose();
}
