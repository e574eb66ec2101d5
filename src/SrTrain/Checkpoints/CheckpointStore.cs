using System.Globalization;
using System.Security.Cryptography;
using Serilog;
using SrTrain.Runs;
using SrTrain.Runtime;

namespace SrTrain.Checkpoints;

/// <summary>
/// Checkpoint folders that survive a crash, <c>kill -9</c> or a full disk at any moment. It knows nothing about models:
/// the caller hands <see cref="Save"/> a callback that writes whatever files it wants into a folder.
/// <para>Layout of <c>runs/&lt;name&gt;/checkpoints</c>: one folder per step named by the plain decimal step
/// (<c>30000/</c>, like BasicSR's <c>net_g_30000</c>), each holding the caller's files plus a <c>manifest.json</c>
/// (size and SHA-256 of every file), and a <c>latest</c> file holding the step to resume from.</para>
/// <para>A folder only ever gets its step name by an atomic rename after every byte in it, the manifest last, is
/// fsynced, so a step-named folder with a valid manifest is complete. Anything an interrupted operation leaves behind
/// carries a dot-prefixed name (<c>.tmp-*</c>, <c>.old-*</c>, <c>.del-*</c>, <c>latest.tmp</c>) that listing ignores
/// and <see cref="CleanLeftovers"/> removes.</para>
/// <para>One writer at a time: a training run owns its checkpoints folder.</para>
/// </summary>
internal sealed class CheckpointStore
{
    public const string LatestFileName = "latest";
    /// <summary>Steps retention never deletes, one a line (<c>250  branch runs/x-from250</c>; text after the step and
    /// lines starting with <c>#</c> are notes). A branch adds its parent step here; a user may add lines by hand.</summary>
    public const string KeepFileName = "keep";
    private const string LatestTempFileName = "latest.tmp";
    private const string TempPrefix = ".tmp-";
    // A step folder moved aside while the same step is saved again; restorable if the new one never arrived.
    private const string ReplacedPrefix = ".old-";
    // A step folder being deleted by retention; never restored.
    private const string DeletingPrefix = ".del-";

    /// <summary>The points in <see cref="Save"/> reported to the <c>onStage</c> observer, in the order they are reached.
    /// "moved-aside" is only reached when the step already exists.</summary>
    internal static readonly string[] Stages =
    [
        "files-written", "manifest-written", "synced", "moved-aside", "renamed", "pointer-tmp-written", "pointer-updated",
    ];

    // Marks, in Exception.Data, an exception that came out of the onStage observer.
    private const string FromStageObserver = "SrTrain.CheckpointStore.StageObserver";

    private readonly ILogger _log;
    private readonly HashSet<string> _warnedKeepLines = new(StringComparer.Ordinal);
    private readonly Action<string>? _onStage;

    /// <param name="checkpointsDir">The checkpoints folder.</param>
    /// <param name="log">Where to log; none by default.</param>
    /// <param name="onStage">Called by <see cref="Save"/> with each of <see cref="Stages"/> as it is reached; none by
    /// default. An exception it throws leaves <see cref="Save"/> at once, with no clean-up, as a crash at that point
    /// would: this is how the tests simulate crashes.</param>
    public CheckpointStore(string checkpointsDir, ILogger? log = null, Action<string>? onStage = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointsDir);
        CheckpointsDir = Path.GetFullPath(checkpointsDir);
        _log = (log ?? Serilog.Core.Logger.None).ForContext<CheckpointStore>();
        _onStage = onStage;
    }

    /// <summary>The checkpoints folder (absolute).</summary>
    public string CheckpointsDir { get; }

    /// <summary>The folder of <paramref name="step"/>: <c>&lt;dir&gt;/&lt;step&gt;</c>, plain decimal.</summary>
    public string PathFor(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return Path.Combine(CheckpointsDir, step.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Writes checkpoint <paramref name="step"/>: <paramref name="writeFiles"/> is called with an empty temporary folder
    /// to fill; then the manifest is added, everything is fsynced, the folder is renamed to its step and the
    /// <c>latest</c> pointer is moved to it. Saving an existing step replaces it; the old one is deleted only after the
    /// new one is in place. Returns the final folder.
    /// </summary>
    /// <exception cref="SrTrainException">Writing failed with an I/O error (e.g. disk full); earlier checkpoints and
    /// the <c>latest</c> pointer are unchanged.</exception>
    public string Save(long step, Action<string> writeFiles)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentNullException.ThrowIfNull(writeFiles);
        Directory.CreateDirectory(CheckpointsDir);

        var temp = Path.Combine(CheckpointsDir, $"{TempPrefix}{step}-{RandomSuffix()}");
        try
        {
            Directory.CreateDirectory(temp);
            writeFiles(temp);
            Reached("files-written");

            if (File.Exists(Path.Combine(temp, CheckpointManifest.FileName)))
                throw new InvalidOperationException(
                    $"the checkpoint writer created {CheckpointManifest.FileName}, a name the checkpoint store reserves");
            var manifest = CheckpointManifest.Build(step, temp);
            if (manifest.Files.Count == 0)
                throw new InvalidOperationException($"the checkpoint writer wrote no files for step {step}");
            DurableFs.WriteAllTextDurably(Path.Combine(temp, CheckpointManifest.FileName), manifest.ToJson());
            Reached("manifest-written");

            SyncTree(temp);
            Reached("synced");
        }
        catch (Exception ex) when (!IsFromStageObserver(ex))
        {
            TryDeleteDirectory(temp);
            if (ex is IOException or UnauthorizedAccessException)
                throw WriteFailed(step, ex);
            throw;
        }

        var final = PathFor(step);
        string? replaced = null;
        try
        {
            if (Directory.Exists(final))
            {
                replaced = Path.Combine(CheckpointsDir, $"{ReplacedPrefix}{step}-{RandomSuffix()}");
                Directory.Move(final, replaced);
                Reached("moved-aside");
            }
            Directory.Move(temp, final);
            DurableFs.SyncDirectory(CheckpointsDir);
            Reached("renamed");
        }
        catch (Exception ex) when ((ex is IOException or UnauthorizedAccessException) && !IsFromStageObserver(ex))
        {
            // Put the previous copy of this step back so nothing that existed before is lost.
            if (replaced is not null && !Directory.Exists(final))
                TryMoveDirectory(replaced, final);
            TryDeleteDirectory(temp);
            throw WriteFailed(step, ex);
        }

        try
        {
            WriteLatestPointer(step);
        }
        catch (Exception ex) when ((ex is IOException or UnauthorizedAccessException) && !IsFromStageObserver(ex))
        {
            TryDeleteFile(Path.Combine(CheckpointsDir, LatestTempFileName));
            throw new SrTrainException(
                $"checkpoint {step} is complete in {final}, but the '{LatestFileName}' pointer in {CheckpointsDir} " +
                $"could not be updated: {ex.Message}; resume from step {step} explicitly", ex);
        }

        if (replaced is not null)
            TryDeleteDirectory(replaced);
        _log.Information("Saved checkpoint {Step} to {Folder}", step, final);
        return final;
    }

    /// <summary>Steps of the complete checkpoints (valid manifest, every listed file present at its size), ascending.
    /// Hashes are not checked here; <see cref="Verify"/> does that.</summary>
    public IReadOnlyList<long> ListSteps()
    {
        if (!Directory.Exists(CheckpointsDir))
            return [];
        var steps = new List<long>();
        foreach (var folder in Directory.EnumerateDirectories(CheckpointsDir))
        {
            if (TryParseStep(Path.GetFileName(folder), out var step) && FindProblem(folder, step, checkHashes: false) is null)
                steps.Add(step);
        }
        steps.Sort();
        return steps;
    }

    /// <summary>The step to resume from: the one named by the <c>latest</c> pointer if that checkpoint is complete,
    /// else the newest complete checkpoint, else null.</summary>
    public long? LatestStep()
    {
        var pointer = Path.Combine(CheckpointsDir, LatestFileName);
        string? reason;
        if (!File.Exists(pointer))
            reason = "is missing";
        else
        {
            string text;
            try
            {
                // Bounded, and never a FIFO or device: the pointer holds one number.
                text = RegularFile.ReadAllText(pointer, 64).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SrTrainException)
            {
                text = "";
            }
            if (!TryParseStep(text, out var step))
                reason = $"does not hold a step number ('{Truncate(text)}')";
            else if (FindProblem(PathFor(step), step, checkHashes: false) is { } problem)
                reason = $"names step {step}, which is not a complete checkpoint ({problem})";
            else
                return step;
        }

        var steps = ListSteps();
        long? fallback = steps.Count > 0 ? steps[^1] : null;
        if (fallback is not null)
            _log.Warning("Checkpoint pointer {Pointer} {Reason}; using the newest complete checkpoint {Step}",
                pointer, reason, fallback);
        return fallback;
    }

    /// <summary>Recomputes size and SHA-256 of every file of checkpoint <paramref name="step"/>.</summary>
    /// <exception cref="SrTrainException">The checkpoint is missing, incomplete or corrupt; the message names the file
    /// and which earlier checkpoint to resume from instead.</exception>
    public void Verify(long step)
    {
        var folder = PathFor(step);
        if (!Directory.Exists(folder))
            throw new SrTrainException($"checkpoint {step} not found: {folder} does not exist; {Advice(step)}");
        if (FindProblem(folder, step, checkHashes: true) is { } problem)
            throw new SrTrainException($"checkpoint {step} is damaged: {problem}; {Advice(step)}");
    }

    /// <summary>Marks checkpoint <paramref name="step"/> as one retention must never delete, with a note saying why
    /// (e.g. the branch made from it): one line appended to <see cref="KeepFileName"/>. Safe while the run that owns
    /// this folder is training: it only reads the file, at retention time.</summary>
    public void MarkKept(long step, string note)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        Directory.CreateDirectory(CheckpointsDir);
        var path = Path.Combine(CheckpointsDir, KeepFileName);
        var line = step.ToString(CultureInfo.InvariantCulture) + "  " + note.ReplaceLineEndings(" ") + "\n";
        using (var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(line);
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        DurableFs.SyncDirectory(CheckpointsDir);
    }

    /// <summary>The steps <see cref="KeepFileName"/> marks, each with its note (the first one when marked twice). A line
    /// that does not start with a step is reported once as a warning and ignored.</summary>
    public IReadOnlyDictionary<long, string> KeptSteps()
    {
        var path = Path.Combine(CheckpointsDir, KeepFileName);
        var kept = new Dictionary<long, string>();
        if (!File.Exists(path))
            return kept;
        string[] lines;
        try
        {
            lines = SharedRead.ReadLines(path).ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SrTrainException($"{path}: cannot be read ({ex.Message}); retention deletes nothing until it can", ex);
        }
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var end = line.IndexOfAny([' ', '\t']);
            var first = end < 0 ? line : line[..end];
            if (TryParseStep(first, out var step))
                kept.TryAdd(step, end < 0 ? "" : line[end..].Trim());
            else if (_warnedKeepLines.Add(line))
                _log.Warning("{Keep}: ignored the line '{Line:l}' (a line starts with the step to keep)", path, Truncate(line));
        }
        return kept;
    }

    /// <summary>
    /// Deletes complete checkpoints except the newest <paramref name="keepLast"/> of those <paramref name="counts"/>
    /// accepts (default: all), every step that is a multiple of <paramref name="keepEvery"/> (when &gt; 0),
    /// <paramref name="protect"/>, the steps marked in <see cref="KeepFileName"/> and the one <see cref="LatestStep"/>
    /// names. Logs one line naming what it will delete before it deletes anything. Returns the deleted steps, ascending.
    /// A folder is renamed out of the step namespace before it is deleted, so a half-deleted one is never taken for a
    /// checkpoint.
    /// </summary>
    /// <param name="counts">Which checkpoints take one of the <paramref name="keepLast"/> places: the trainer passes
    /// "saved on schedule", so a checkpoint made by Ctrl+C between two scheduled ones does not push out an older
    /// scheduled one; it is kept while it is the latest, like any latest.</param>
    public IReadOnlyList<long> ApplyRetention(int keepLast, int keepEvery, long? protect = null, Func<long, bool>? counts = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepLast);
        ArgumentOutOfRangeException.ThrowIfNegative(keepEvery);
        var steps = ListSteps();
        var counted = counts is null ? steps : steps.Where(counts).ToList();
        var keep = new HashSet<long>(counted.Skip(Math.Max(0, counted.Count - keepLast)));
        if (keepEvery > 0)
            keep.UnionWith(steps.Where(s => s % keepEvery == 0));
        if (protect is { } p)
            keep.Add(p);
        if (LatestStep() is { } latest)
            keep.Add(latest);
        var doomedSteps = steps.Where(s => !keep.Contains(s)).ToList();
        if (doomedSteps.Count == 0)
            return [];
        IReadOnlyDictionary<long, string> marked;
        try
        {
            marked = KeptSteps();
        }
        catch (SrTrainException ex)
        {
            _log.Warning("Retention skipped: {Reason}", ex.Message);
            return [];
        }
        var spared = doomedSteps.Where(marked.ContainsKey).ToList();
        doomedSteps.RemoveAll(marked.ContainsKey);
        if (doomedSteps.Count == 0)
            return [];

        var keptText = string.Join(", ", steps.Where(s => !doomedSteps.Contains(s)));
        var sparedText = spared.Count == 0 ? ""
            : $"; {string.Join(", ", spared)} marked in {Path.Combine(CheckpointsDir, KeepFileName)} ({string.Join("; ", spared.Select(s => marked[s]).Where(n => n.Length > 0).Distinct())})";
        _log.Information("Retention (checkpoint.keep_last {KeepLast}, keep_every {KeepEvery}) deletes checkpoint(s) {Steps:l}; keeps {Kept:l}{Spared:l}",
            keepLast, keepEvery, string.Join(", ", doomedSteps), keptText, sparedText);
        var moved = new List<(long Step, string Path)>();
        foreach (var step in doomedSteps)
        {
            var doomed = Path.Combine(CheckpointsDir, $"{DeletingPrefix}{step}-{RandomSuffix()}");
            if (TryMoveDirectory(PathFor(step), doomed))
                moved.Add((step, doomed));
        }
        if (moved.Count == 0)
            return [];
        TrySyncDirectory(CheckpointsDir);
        foreach (var (_, path) in moved)
            TryDeleteDirectory(path);
        return moved.Select(m => m.Step).ToList();
    }

    /// <summary>Removes what interrupted saves and deletions left behind (<c>.tmp-*</c>, <c>.del-*</c>, <c>.old-*</c>,
    /// <c>latest.tmp</c>); returns how many. A step moved aside by a re-save that never completed is put back instead
    /// of deleted. Call it at start-up, before this run saves anything.</summary>
    public int CleanLeftovers()
    {
        if (!Directory.Exists(CheckpointsDir))
            return 0;
        var count = 0;
        foreach (var folder in Directory.EnumerateDirectories(CheckpointsDir).Order(StringComparer.Ordinal).ToList())
        {
            var name = Path.GetFileName(folder);
            if (name.StartsWith(ReplacedPrefix, StringComparison.Ordinal)
                && TryParseStep(name[ReplacedPrefix.Length..].Split('-')[0], out var step)
                && !Directory.Exists(PathFor(step))
                && FindProblem(folder, step, checkHashes: false) is null
                && TryMoveDirectory(folder, PathFor(step)))
            {
                _log.Warning("Restored checkpoint {Step} from {Folder} left by an interrupted save", step, folder);
                count++;
            }
            else if (name.StartsWith(TempPrefix, StringComparison.Ordinal)
                     || name.StartsWith(ReplacedPrefix, StringComparison.Ordinal)
                     || name.StartsWith(DeletingPrefix, StringComparison.Ordinal))
            {
                TryDeleteDirectory(folder);
                count++;
            }
        }
        var latestTemp = Path.Combine(CheckpointsDir, LatestTempFileName);
        if (File.Exists(latestTemp))
        {
            TryDeleteFile(latestTemp);
            count++;
        }
        if (count > 0)
        {
            TrySyncDirectory(CheckpointsDir);
            _log.Information("Removed {Count} leftovers of interrupted checkpoint writes in {Dir}", count, CheckpointsDir);
        }
        return count;
    }

    private void WriteLatestPointer(long step)
    {
        var temp = Path.Combine(CheckpointsDir, LatestTempFileName);
        DurableFs.WriteAllTextDurably(temp, step.ToString(CultureInfo.InvariantCulture) + "\n");
        Reached("pointer-tmp-written");
        // rename(2) over the old pointer is atomic: a reader sees either the old step or the new one.
        File.Move(temp, Path.Combine(CheckpointsDir, LatestFileName), overwrite: true);
        DurableFs.SyncDirectory(CheckpointsDir);
        Reached("pointer-updated");
    }

    /// <summary>Null if <paramref name="folder"/> is a complete checkpoint of <paramref name="step"/>, else what is
    /// wrong, naming the file.</summary>
    private static string? FindProblem(string folder, long step, bool checkHashes)
    {
        if (!Directory.Exists(folder))
            return $"{folder} does not exist";
        var manifest = CheckpointManifest.TryRead(folder, out var problem);
        if (manifest is null)
            return problem;
        if (manifest.Step != step)
            return $"{Path.Combine(folder, CheckpointManifest.FileName)} is for step {manifest.Step}, not {step}";
        // Every file a checkpoint holds is in its manifest: a file with its entry removed would otherwise be read
        // unchecked (a replaced net_g_ema.pth gave black images). Hidden files (.DS_Store) are not checkpoint files.
        var listed = new HashSet<string>(manifest.Files.Select(f => f.Path), StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
            if (relative != CheckpointManifest.FileName && !listed.Contains(relative) && !Path.GetFileName(file).StartsWith('.'))
                return $"{file} is not listed in its {CheckpointManifest.FileName}, so it cannot be checked";
        }
        foreach (var entry in manifest.Files)
        {
            var path = Path.Combine(folder, entry.Path);
            FileInfo info = new(path);
            if (!info.Exists)
                return $"{path} is missing";
            if (info.LinkTarget != null)
                return $"{path} is a symbolic link, not a file the checkpoint wrote";
            if (RegularFile.NotRegular(path) is { } what)
                return $"{path} is {what}, not a file the checkpoint wrote";
            if (info.Length != entry.Size)
                return $"{path} has {info.Length} bytes but the manifest records {entry.Size}";
            if (checkHashes)
            {
                try
                {
                    if (!string.Equals(CheckpointManifest.HashFileBounded(path, entry.Size), entry.Sha256, StringComparison.OrdinalIgnoreCase))
                        return $"{path} is corrupt (its SHA-256 does not match the manifest)";
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    return $"{path} cannot be read: {ex.Message}";
                }
            }
        }
        return null;
    }

    private string Advice(long step)
    {
        var others = ListSteps().Where(s => s != step).ToList();
        if (others.Count == 0)
            return $"no other complete checkpoint exists in {CheckpointsDir}, so start the run again from scratch";
        var suggestion = others.LastOrDefault(s => s < step, others[^1]);
        var shown = string.Join(", ", others.TakeLast(5));
        return $"resume from another checkpoint instead (e.g. --from {suggestion}; complete checkpoints: {shown})";
    }

    private SrTrainException WriteFailed(long step, Exception ex) =>
        new($"could not write checkpoint {step} into {CheckpointsDir}: {ex.Message}; earlier checkpoints are intact", ex);

    private void Reached(string stage)
    {
        if (_onStage is null)
            return;
        try
        {
            _onStage(stage);
        }
        catch (Exception ex)
        {
            ex.Data[FromStageObserver] = stage;
            throw;
        }
    }

    private static bool IsFromStageObserver(Exception ex) => ex.Data.Contains(FromStageObserver);

    private static void SyncTree(string root)
    {
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            DurableFs.SyncFile(file);
        // Deepest first, so each folder's entries are durable before its parent's entry for it.
        foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories)
                     .OrderByDescending(d => d.Length))
            DurableFs.SyncDirectory(dir);
        DurableFs.SyncDirectory(root);
    }

    private static bool TryParseStep(string text, out long step) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out step)
        && step.ToString(CultureInfo.InvariantCulture) == text;

    private static string RandomSuffix() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";

    private bool TryMoveDirectory(string from, string to)
    {
        try
        {
            Directory.Move(from, to);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.Warning(ex, "Could not move {From} to {To}", from, to);
            return false;
        }
    }

    private void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for CleanLeftovers: its dot-prefixed name keeps it out of every listing meanwhile.
            _log.Warning(ex, "Could not delete {Folder}", path);
        }
    }

    private void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.Warning(ex, "Could not delete {File}", path);
        }
    }

    private void TrySyncDirectory(string path)
    {
        try
        {
            DurableFs.SyncDirectory(path);
        }
        catch (IOException ex)
        {
            _log.Warning(ex, "Could not fsync {Folder}", path);
        }
    }
}
