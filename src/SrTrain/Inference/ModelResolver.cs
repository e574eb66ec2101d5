using Serilog;
using SrTrain.Checkpoints;
using SrTrain.Runs;

namespace SrTrain.Inference;

/// <summary>Turns <c>--model</c> into a weight file. Accepted: a run folder (its latest complete checkpoint's
/// <c>net_g_ema.pth</c>), a checkpoint folder (<c>runs/&lt;name&gt;/checkpoints/&lt;step&gt;</c>), or any generator
/// weight file (.pth/.pt/.safetensors, e.g. a Real-ESRGAN or ESRGAN release file). Without <c>--model</c>, the run
/// most recently written under <c>runsDir</c> (the CLI's <c>--runs-dir</c>, by default the config's <c>runs_dir</c> default).</summary>
internal static class ModelResolver
{
    public static ResolvedModel Resolve(string? model, string runsDir, ILogger log)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            string run;
            try
            {
                run = RunFolder.MostRecent(runsDir);
            }
            catch (SrTrainException)
            {
                throw new SrTrainException($"no --model given and no run under {Path.GetFullPath(runsDir)} to default to; " +
                                           "give --model runs/<name>, a checkpoint folder or a .pth/.safetensors generator file, or --runs-dir " +
                                           "with the runs_dir you trained with");
            }
            var chosen = FromRunFolder(run, log);
            // One line before any work: the newest run may not be the one the user means.
            log.Information("No --model given: using {Model}, the most recently written run under {Runs} (give --model to choose)",
                chosen.Description, Path.GetFullPath(runsDir));
            return chosen;
        }
        // Real-ESRGAN's -n takes a model name and reads weights/<name>.pth.
        if (!File.Exists(model) && !Directory.Exists(model) && Path.GetFileName(model) == model && !Path.HasExtension(model))
            foreach (var candidate in new[] { Path.Combine("weights", model + ".pth"), model + ".pth" })
                if (File.Exists(candidate))
                    return new ResolvedModel(Path.GetFullPath(candidate), Path.GetFileName(candidate));
        if (File.Exists(model)) return new ResolvedModel(Path.GetFullPath(model), Path.GetFileName(model));
        if (Directory.Exists(model))
        {
            if (File.Exists(Path.Combine(model, CheckpointFiles.GeneratorEmaPth)))
            {
                VerifyCheckpointFolder(Path.GetFullPath(model));
                return new ResolvedModel(Path.GetFullPath(Path.Combine(model, CheckpointFiles.GeneratorEmaPth)),
                    $"checkpoint folder {Path.GetFullPath(model)}");
            }
            if (Directory.Exists(new RunFolder(model).CheckpointsDir)) return FromRunFolder(model, log);
            throw new SrTrainException($"--model {model}: a folder that is neither a run folder (no checkpoints/) nor a checkpoint " +
                                       $"folder (no {CheckpointFiles.GeneratorEmaPth}); give runs/<name>, runs/<name>/checkpoints/<step> or a weight file");
        }
        throw new SrTrainException($"--model {model}: no such file or folder (nor weights/{model}.pth); give runs/<name>, " +
                                   "runs/<name>/checkpoints/<step> or a .pth/.safetensors generator file");
    }

    /// <summary>How many times a run's checkpoint is looked up again when the run's retention removed the one being
    /// read (a run saving every step with keep_last 3 retires a checkpoint within a few steps).</summary>
    const int RetiredRetries = 20;

    static ResolvedModel FromRunFolder(string dir, ILogger log)
    {
        var run = new RunFolder(dir);
        // With the log: when the newest checkpoint is incomplete, the store falls back to an older one and says why.
        var store = new CheckpointStore(run.CheckpointsDir, log);
        for (int attempt = 1; ; attempt++)
        {
            long step = store.LatestStep()
                        ?? throw new SrTrainException($"--model {run.Dir}: the run has no complete checkpoint yet; train it longer or give a weight file");
            var path = Path.Combine(store.PathFor(step), CheckpointFiles.GeneratorEmaPth);
            try
            {
                if (!File.Exists(path))
                    throw new SrTrainException($"--model {run.Dir}: checkpoint {step} has no {CheckpointFiles.GeneratorEmaPth}");
                // The manifest's SHA-256 is what tells a damaged or swapped file from the one training wrote.
                store.Verify(step);
                return new ResolvedModel(path, $"run {run.Name}, checkpoint {step}", run.Dir);
            }
            catch (SrTrainException) when (attempt < RetiredRetries && !Directory.Exists(store.PathFor(step)))
            {
                // Retired by the training run while it was checked: its newer checkpoint is there.
            }
        }
    }

    /// <summary>Loads <paramref name="model"/> with <paramref name="load"/>. A run's checkpoint that the training run
    /// retires between resolving and loading is replaced by the run's newest one, with a warning; any other failure
    /// is the load's own.</summary>
    /// <param name="used">The model actually loaded (its description names the checkpoint).</param>
    public static T Load<T>(ResolvedModel model, Func<string, T> load, ILogger log, out ResolvedModel used)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var loaded = load(model.WeightsPath);
                used = model;
                return loaded;
            }
            catch (Exception e) when (e is SrTrainException or IOException && model.RunDir != null && attempt < RetiredRetries
                                      && !File.Exists(model.WeightsPath))
            {
                var newer = FromRunFolder(model.RunDir!, log);
                log.Warning("{Old} was removed by the run's checkpoint retention while it loaded; using {New}", model.Description, newer.Description);
                model = newer;
            }
        }
    }

    /// <summary>A checkpoint folder named directly is verified against its manifest when it has one (a folder copied
    /// without it is still accepted: its file is then an ordinary weight file).</summary>
    static void VerifyCheckpointFolder(string folder)
    {
        if (!File.Exists(Path.Combine(folder, CheckpointManifest.FileName))) return;
        var parent = Path.GetDirectoryName(folder)!;
        if (!long.TryParse(Path.GetFileName(folder), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long step))
            return;
        new CheckpointStore(parent).Verify(step);
    }
}

/// <summary>Where a generator's weights come from, and how the user named it (for log lines).</summary>
/// <param name="WeightsPath">A .pth/.safetensors generator file.</param>
/// <param name="Description">"run X, checkpoint N", "checkpoint folder F" or the file name.</param>
/// <param name="RunDir">The run folder when the model is a run's latest checkpoint: a training run may retire that
/// checkpoint at any moment, and the run's next one is taken instead.</param>
internal sealed record ResolvedModel(string WeightsPath, string Description, string? RunDir = null);
