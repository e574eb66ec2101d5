using System.Text.Json;
using Serilog;
using SrTrain.Checkpoints;
using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Distributed;
using SrTrain.Runs;
using SrTrain.Runtime;
using YamlDotNet.RepresentationModel;

namespace SrTrain.Training;

/// <summary>`train` and `resume`: decides which run folder to write, from which checkpoint to start and with which
/// config, then hands over to the <see cref="Trainer"/>. Resuming never overwrites what a run wrote after the resume
/// step: anything but "continue from the latest checkpoint with the same losses" becomes a branch in a new folder.</summary>
internal static class TrainingLauncher
{
    public static TrainResult Train(TrainRequest request, LaunchContext ctx, CancellationToken cancel)
    {
        if (!ctx.Ranks.IsRoot) return FollowRoot(ctx, cancel);
        var sets = request.Sets ?? Array.Empty<string>();
        var config = ConfigLoader.Bind([ConfigLoader.ReadYamlFile(request.ConfigPath), .. sets.Select(ConfigLoader.SetOverride)],
            sets.Count > 0 ? request.ConfigPath + " with --set" : request.ConfigPath, note => ctx.Log.Information("{Note}", note));
        if (request.Name != null) config = config with { Name = request.Name };
        if (request.Seed != null) config = config with { Seed = request.Seed.Value };
        ConfigValidator.Validate(config, "--name");
        // Everything the user must fix is found before the run folder exists, so the corrected rerun is not refused.
        ConfigPaths.Check(config, request.ConfigPath);
        var run = new RunFolder(Path.Combine(config.RunsDir, config.Name));
        // A failed start removes the run folder it made, and the runs folder too when it made that: nothing empty is left.
        // (Asked before the lock, which creates both.)
        bool runsDirMade = !Directory.Exists(config.RunsDir);
        // Taken before looking at the folder: two `train --auto-resume` started together must not both decide to write it.
        using var runLock = RunLock.Acquire(run.Dir);
        bool created = !run.HasContent;
        if (!created)
        {
            if (!request.AutoResume)
                throw new SrTrainException($"{run.Dir} already exists: use `srtrain resume --run {run.Dir}` or `train --auto-resume` to continue it, " +
                                           "or --name to start a new run");
            var store = new CheckpointStore(run.CheckpointsDir, ctx.Log);
            var latest = store.LatestStep();
            if (latest != null && latest >= config.Train.TotalSteps)
            {
                ctx.Log.Information("--auto-resume: {Run} already finished at step {Step}; nothing to do", run.Dir, latest);
                ShareStart(ctx, new RankStart(run.Dir, null, latest.Value, Finished: true));
                return new TrainResult(run.Dir, latest.Value, Interrupted: false);
            }
            if (latest != null)
            {
                ctx.Log.Information("--auto-resume: {Run} exists, resuming from its latest checkpoint {Step}", run.Dir, latest);
                return Resume(new ResumeRequest(run.Dir, null, false, null, Array.Empty<string>(), null), ctx, cancel, runLock);
            }
            ctx.Log.Information("--auto-resume: {Run} exists without a checkpoint; starting it from step 0", run.Dir);
        }
        run.Create();
        ctx.OpenLogFile(run.LogPath);
        run.WriteConfig(config);
        if (run.ReadLineage() == null)
            run.WriteLineage(new Lineage(run.Name, null, null, TranslationalFrom(config), DateTimeOffset.UtcNow));
        return Execute(config, run, startFrom: null, startStep: 0, ctx, cancel, removeIfStartFails: created, removeRunsDirIfStartFails: runsDirMade);
    }

    public static TrainResult Resume(ResumeRequest request, LaunchContext ctx, CancellationToken cancel) => Resume(request, ctx, cancel, held: null);

    /// <param name="held">The run folder's lock when the caller (train --auto-resume) already holds it.</param>
    static TrainResult Resume(ResumeRequest request, LaunchContext ctx, CancellationToken cancel, RunLock? held)
    {
        if (!ctx.Ranks.IsRoot) return FollowRoot(ctx, cancel);
        RunFolder parent;
        if (request.RunDir != null) parent = new RunFolder(request.RunDir);
        else
        {
            var runsDir = request.RunsDir ?? new SrTrainConfig().RunsDir;
            parent = new RunFolder(RunFolder.MostRecent(runsDir));
            ctx.Log.Information("No --run given: resuming {Run}, the most recently written run under {Runs} (give --run to choose)",
                parent.Dir, Path.GetFullPath(runsDir));
        }
        if (!File.Exists(parent.ConfigPath))
            throw new SrTrainException($"{parent.Dir}: not a run folder (no config.yml); give --run runs/<name>");
        // A run that another process trains may still be branched from (read only), but not continued, and its
        // unfinished checkpoint writes are not leftovers.
        string holder = "";
        RunLock? parentLock = held ?? RunLock.TryAcquireSoon(parent.Dir, out holder, recordOwner: false);
        RunLock? branchLock = null;
        try
        {
            return ResumeLocked(request, ctx, cancel, parent, parentLock, holder, ref branchLock);
        }
        finally
        {
            branchLock?.Dispose();
            parentLock?.Dispose();
        }
    }

    static TrainResult ResumeLocked(ResumeRequest request, LaunchContext ctx, CancellationToken cancel, RunFolder parent, RunLock? parentLock,
        string holder, ref RunLock? branchLock)
    {
        // Only a branch can start from a run another process trains; a plain continuation is refused before reading
        // checkpoints that the other process is still writing.
        bool mayBranch = request.FromStep != null || request.Translational || request.Name != null || request.OverrideConfigs.Count > 0
                         || request.Sets is { Count: > 0 };
        if (parentLock == null && !mayBranch) throw RunLock.HeldBy(parent.Dir, holder);
        var store = new CheckpointStore(parent.CheckpointsDir, ctx.Log);
        if (parentLock != null) store.CleanLeftovers();
        var (from, latest) = FindCheckpoint(store, parent, request.FromStep);
        var (config, original) = ResumeConfig(request, parent, from, ctx);

        bool lossesChanged = config.Losses != original.Losses;
        bool branch = from != latest || lossesChanged || request.Name != null;
        RunFolder run;
        if (branch)
            (run, config) = Branch(request, ctx, parent, store, config, from, latest, lossesChanged, ref branchLock);
        else
        {
            if (parentLock == null) throw RunLock.HeldBy(parent.Dir, holder);
            parentLock.RecordOwner();
            run = parent;
            ctx.OpenLogFile(run.LogPath);
            ctx.Log.Information("Resuming {Run} from its latest checkpoint {Step}", run.Dir, from);
        }
        run.WriteConfig(config);
        // A branch keeps its parent locked only until it has read the checkpoint: the parent may be continued meanwhile.
        return Execute(config, run, startFrom: store.PathFor(from), startStep: from, ctx, cancel, removeIfStartFails: branch,
            releaseAfterRestore: branch ? parentLock : null);
    }

    /// <summary>Resume, step 3 when the run is not simply continued: a new run folder beside the parent, starting from
    /// the parent's checkpoint <paramref name="from"/>, which the parent's retention then keeps.</summary>
    static (RunFolder Run, SrTrainConfig Config) Branch(ResumeRequest request, LaunchContext ctx, RunFolder parent, CheckpointStore store,
        SrTrainConfig config, long from, long latest, bool lossesChanged, ref RunLock? branchLock)
    {
        var parentName = parent.Name;
        var name = request.Name ?? $"{parentName}-from{from}{(request.Translational ? "-translational" : "")}";
        config = config with { Name = name };
        ConfigValidator.Validate(config, request.Name != null ? "--name" : $"branch of {parentName}");
        var run = new RunFolder(Path.Combine(Path.GetDirectoryName(parent.Dir)!, name));
        branchLock = RunLock.Acquire(run.Dir);
        if (run.HasContent)
            throw new SrTrainException($"{run.Dir} already exists: resume it with `srtrain resume --run {run.Dir}`, or give the branch another --name");
        run.Create();
        ctx.OpenLogFile(run.LogPath);
        run.WriteLineage(new Lineage(name, parent.Dir, from, TranslationalFrom(config), DateTimeOffset.UtcNow));
        // The parent's retention must never delete the checkpoint this branch starts from: a control branch at the
        // same step, or a rerun of this one, needs it.
        try { store.MarkKept(from, $"branch {run.Dir}"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ctx.Log.Warning("Could not mark checkpoint {Step} as kept in {Keep} ({Reason}): the parent's retention may delete it; add the line '{Step}' there by hand",
                from, Path.Combine(store.CheckpointsDir, CheckpointStore.KeepFileName), e.Message, from);
        }
        ctx.Log.Information("Branching {Parent} at step {Step} into {Run}{Why}; the parent is left untouched", parent.Dir, from, run.Dir,
            from != latest ? $" (its latest is {latest})" : lossesChanged ? " (losses changed)" : "");
        return (run, config);
    }

    /// <summary>Resume, step 1: the checkpoint to start from (--from, else the run's latest) and the run's latest.</summary>
    static (long From, long Latest) FindCheckpoint(CheckpointStore store, RunFolder parent, long? fromStep)
    {
        // The pointer before the listing: while another process trains the parent, a checkpoint may appear in between.
        long? pointer = store.LatestStep();
        var steps = store.ListSteps();
        if (steps.Count == 0)
            throw new SrTrainException($"{parent.Dir}: has no complete checkpoint to resume from; start it again with `srtrain train --config {parent.ConfigPath} --auto-resume`");
        long latest = pointer ?? steps[^1];
        long from = fromStep ?? latest;
        if (!steps.Contains(from))
            throw new SrTrainException($"{parent.Dir}: no checkpoint at step {from} (available: {string.Join(", ", steps)})");
        store.Verify(from);
        return (from, latest);
    }

    /// <summary>Resume, step 2: the config to go on with (the run's own, the overrides merged at the YAML level so they
    /// are checked like any config, --translational applied) and the run's config as it was.</summary>
    static (SrTrainConfig Config, SrTrainConfig Original) ResumeConfig(ResumeRequest request, RunFolder parent, long from, LaunchContext ctx)
    {
        var resumeSets = request.Sets ?? Array.Empty<string>();
        List<YamlMappingNode> layers = [ConfigLoader.ReadYamlFile(parent.ConfigPath), .. request.OverrideConfigs.Select(ConfigLoader.ReadYamlFile),
            .. resumeSets.Select(ConfigLoader.SetOverride)];
        var overrideNames = request.OverrideConfigs.Concat(resumeSets.Count > 0 ? new[] { "--set" } : Array.Empty<string>()).ToList();
        var config = ConfigLoader.Bind(layers, overrideNames.Count > 0 ? string.Join(" + ", overrideNames) : parent.ConfigPath,
            note => ctx.Log.Information("{Note}", note));
        var original = ConfigLoader.Bind(ConfigLoader.ReadYamlFile(parent.ConfigPath), parent.ConfigPath);

        if (request.Translational)
        {
            double w = request.TranslationalWeight ?? (config.Losses.Translational.Weight > 0 ? config.Losses.Translational.Weight : 1.0);
            config = config with
            {
                Losses = config.Losses with { Translational = config.Losses.Translational with { Weight = w, StartStep = from } },
            };
            ctx.Log.Information("Translational term on from step {Step} with weight {Weight} and shift {Shift}", from, w, config.Losses.Translational.Shift);
        }
        else if (request.TranslationalWeight != null)
            throw new SrTrainException("--translational-weight goes with --translational");
        ConfigValidator.Validate(config, request.Translational ? "--translational with " + parent.ConfigPath : parent.ConfigPath);
        ConfigPaths.Check(config, parent.ConfigPath);
        if (config.Train.TotalSteps <= from)
            throw new SrTrainException($"{parent.Dir}: the checkpoint is at step {from} and train.total_steps is {config.Train.TotalSteps}: nothing left to train; " +
                                       $"raise it, e.g. `srtrain resume --run {parent.Dir} --set train.total_steps={2 * from}`");
        return (config, original);
    }

    /// <summary>run.json's translational_from: the step the term starts in this run's config (the quickstart's 950, a
    /// `--translational` branch's parent step), or null when the term is off.</summary>
    static long? TranslationalFrom(SrTrainConfig config) =>
        config.Losses.Translational.Weight > 0 ? config.Losses.Translational.StartStep : null;

    /// <summary>What rank 0 decided (run folder, checkpoint, step), for the other ranks.</summary>
    sealed record RankStart(string RunDir, string? StartFrom, long StartStep, bool Finished = false);

    static void ShareStart(LaunchContext ctx, RankStart start)
    {
        if (ctx.Ranks.IsDistributed) ctx.Ranks.BroadcastText(JsonSerializer.Serialize(start));
    }

    /// <summary>Data parallel, ranks other than 0: rank 0 alone decides the run folder and the checkpoint (and writes
    /// the folder, config and lineage); the others wait for its decision, then train the same run from the same
    /// checkpoint. Rank 0's errors before that abort the whole job.</summary>
    static TrainResult FollowRoot(LaunchContext ctx, CancellationToken cancel)
    {
        var start = JsonSerializer.Deserialize<RankStart>(ctx.Ranks.BroadcastText(null))
                    ?? throw new InvalidOperationException("rank 0 sent no start");
        var run = new RunFolder(start.RunDir);
        if (start.Finished) return new TrainResult(run.Dir, start.StartStep, Interrupted: false);
        if (!File.Exists(run.ConfigPath))
            throw new SrTrainException($"rank {ctx.Ranks.Rank}: {run.ConfigPath}, which rank 0 wrote, is not visible here; every rank must see the same runs folder (a shared file system)");
        return Execute(ConfigLoader.LoadFile(run.ConfigPath), run, start.StartFrom, start.StartStep, ctx, cancel);
    }

    static TrainResult Execute(SrTrainConfig config, RunFolder run, string? startFrom, long startStep, LaunchContext ctx, CancellationToken cancel,
        bool removeIfStartFails = false, bool removeRunsDirIfStartFails = false, IDisposable? releaseAfterRestore = null)
    {
        var ranks = ctx.Ranks;
        TrainingParts parts;
        try
        {
            if (ranks.IsRoot)
            {
                // The data pipeline's own check, made by rank 0 before the others start, so the user sees one line.
                new BatchShard(ranks.Rank, ranks.Size).Validate(config.Datasets.Train.BatchSize);
                ShareStart(ctx, new RankStart(run.Dir, startFrom, startStep));
            }
            ranks.BarrierTimeout = TimeSpan.FromMinutes(config.Distributed.BarrierTimeoutMinutes);
            var device = RankDevice.Select(DeviceSelector.Select(ctx.Device, ctx.Threads, ctx.Log), ranks);
            parts = TrainingSetup.Build(config, device, ctx.Log, ranks);
        }
        catch (Exception) when (removeIfStartFails && ranks.IsRoot)
        {
            // A run that never started leaves no folder behind: the rerun after the fix must not be refused.
            try
            {
                Directory.Delete(run.Dir, recursive: true);
                var runsDir = Path.GetDirectoryName(run.Dir)!;
                if (removeRunsDirIfStartFails && !Directory.EnumerateFileSystemEntries(runsDir).Any()) Directory.Delete(runsDir);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            throw;
        }
        using var partsScope = parts;
        using var metrics = ranks.IsRoot ? new MetricsLog(run.Dir, config.Logger.UseTensorboard, resumedFrom: startFrom != null ? startStep : null) : null;
        var trainer = new Trainer(config, parts, run, metrics, ctx.Log, ranks);
        if (ranks.IsRoot) trainer.Checkpoints.CleanLeftovers();
        if (startFrom != null)
        {
            trainer.Restore(startFrom);
            ctx.Log.Information("Restored weights, EMA, discriminator and optimizer states from {Checkpoint}", startFrom);
        }
        releaseAfterRestore?.Dispose();
        long final;
        try
        {
            final = trainer.Run(startStep, cancel);
        }
        catch (Exception e) when (e is not SrTrainException and not OperationCanceledException)
        {
            // The CLI prints this after the error: a crash must not leave the user guessing how to go on.
            e.Data[ResumeHintKey] = ResumeHint(run);
            throw;
        }
        bool interrupted = final < config.Train.TotalSteps;
        ctx.Log.Information(interrupted ? "Stopped at step {Step}; continue with `srtrain resume --run {Run}`" : "Finished at step {Step}; run folder {Run}",
            final, run.Dir);
        return new TrainResult(run.Dir, final, interrupted);
    }

    /// <summary>Key in <see cref="Exception.Data"/> of an unexpected error during training: how to continue the run.</summary>
    public const string ResumeHintKey = "srtrain.resume";

    static string ResumeHint(RunFolder run)
    {
        long? latest = null;
        try { latest = new CheckpointStore(run.CheckpointsDir).LatestStep(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // the hint then says to start again
        return latest is { } step
            ? $"to continue: srtrain resume --run {run.Dir} (from checkpoint {step})"
            : $"no checkpoint was written yet; start again with: srtrain train --config {run.ConfigPath} --auto-resume";
    }

}

/// <summary>How the program runs: device and threads, the logger, how to start the run's log file, and (data parallel)
/// the job's processes.</summary>
internal sealed record LaunchContext(string Device, int Threads, ILogger Log, Action<string> OpenLogFile, ProcessGroup? Group = null)
{
    public ProcessGroup Ranks => Group ?? ProcessGroup.Single;
}

/// <param name="Sets"><c>--set key=value</c> overrides, applied after the file.</param>
internal sealed record TrainRequest(string ConfigPath, string? Name, bool AutoResume, int? Seed = null, IReadOnlyList<string>? Sets = null);

/// <param name="RunDir">The run to continue; null: the most recently written run under <paramref name="RunsDir"/>.</param>
/// <param name="RunsDir">Where to look when no run is named (the config's <c>runs_dir</c>; null: its default).</param>
internal sealed record ResumeRequest(
    string? RunDir,
    long? FromStep,
    bool Translational,
    double? TranslationalWeight,
    IReadOnlyList<string> OverrideConfigs,
    string? Name,
    IReadOnlyList<string>? Sets = null,
    string? RunsDir = null);

internal sealed record TrainResult(string RunDir, long FinalStep, bool Interrupted);
