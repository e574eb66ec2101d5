using System.Security.Cryptography;
using System.Text.Json;
using SrTrain.Checkpoints;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Checkpoints;

public sealed class CheckpointStoreTests : IDisposable
{
    private readonly TempDir _run = new("srtrain-ckpt");
    private readonly string _dir;

    public CheckpointStoreTests() => _dir = _run.File("checkpoints");

    public void Dispose() => _run.Dispose();

    /// <summary>Bytes that differ per step and per version, so a replaced or mixed-up file is detectable.</summary>
    internal static byte[] Content(long step, string name, int version = 0, int length = 3000)
    {
        var bytes = new byte[length];
        new Random(HashCode.Combine(step, name, version)).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Writes what a trainer would: weights, optimizer state and a file in a subfolder.</summary>
    internal static Action<string> Writer(long step, int version = 0) => dir =>
    {
        File.WriteAllBytes(Path.Combine(dir, "net_g.pth"), Content(step, "net_g.pth", version));
        File.WriteAllBytes(Path.Combine(dir, "optim_g.pth"), Content(step, "optim_g.pth", version, 1500));
        Directory.CreateDirectory(Path.Combine(dir, "ema"));
        File.WriteAllBytes(Path.Combine(dir, "ema", "net_g_ema.pth"), Content(step, "ema/net_g_ema.pth", version, 700));
    };

    private static void AssertHoldsVersion(CheckpointStore store, long step, int version)
    {
        var folder = store.PathFor(step);
        Assert.Equal(Content(step, "net_g.pth", version), File.ReadAllBytes(Path.Combine(folder, "net_g.pth")));
        Assert.Equal(Content(step, "optim_g.pth", version, 1500), File.ReadAllBytes(Path.Combine(folder, "optim_g.pth")));
        Assert.Equal(Content(step, "ema/net_g_ema.pth", version, 700),
            File.ReadAllBytes(Path.Combine(folder, "ema", "net_g_ema.pth")));
    }

    private List<string> Entries() =>
        Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;

    [Fact]
    public void Save_CreatesStepFolderWithManifestAndMovesLatest()
    {
        var store = new CheckpointStore(_dir);
        Assert.Empty(store.ListSteps());
        Assert.Null(store.LatestStep());

        var first = store.Save(100, Writer(100));
        var second = store.Save(30000, Writer(30000));

        Assert.Equal(Path.Combine(Path.GetFullPath(_dir), "30000"), second);
        Assert.Equal(second, store.PathFor(30000));
        Assert.Equal(first, store.PathFor(100));
        Assert.Equal([100L, 30000L], store.ListSteps());
        Assert.Equal(30000L, store.LatestStep());
        Assert.Equal("30000", File.ReadAllText(Path.Combine(_dir, "latest")).Trim());
        Assert.Equal(["100", "30000", "latest"], Entries());
        AssertHoldsVersion(store, 100, 0);
        AssertHoldsVersion(store, 30000, 0);

        // The manifest records every file (subfolders with '/'), with sizes and hashes computed independently here.
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(second, "manifest.json")));
        Assert.Equal(30000, manifest.RootElement.GetProperty("step").GetInt64());
        var files = manifest.RootElement.GetProperty("files").EnumerateArray()
            .ToDictionary(f => f.GetProperty("path").GetString()!, f => f);
        Assert.Equal(["ema/net_g_ema.pth", "net_g.pth", "optim_g.pth"], files.Keys.Order(StringComparer.Ordinal));
        var expected = Content(30000, "net_g.pth");
        Assert.Equal(expected.Length, files["net_g.pth"].GetProperty("size").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), files["net_g.pth"].GetProperty("sha256").GetString());

        store.Verify(100);
        store.Verify(30000);
    }

    [Fact]
    public void Save_ReplacesContent_WhenTheSameStepIsSavedTwice()
    {
        var store = new CheckpointStore(_dir);
        store.Save(5, Writer(5, version: 0));
        store.Save(7, Writer(7));
        store.Save(5, Writer(5, version: 1));

        AssertHoldsVersion(store, 5, 1);
        store.Verify(5);
        Assert.Equal([5L, 7L], store.ListSteps());
        // The pointer follows the last save, even to an older step (a run resumed from 5 and saved it again).
        Assert.Equal(5L, store.LatestStep());
        Assert.Equal(["5", "7", "latest"], Entries());
    }

    [Fact]
    public void ApplyRetention_KeepsTheLastTwoAndEveryFifth_DeletingTheRest()
    {
        var store = new CheckpointStore(_dir);
        for (long step = 1; step <= 12; step++)
            store.Save(step, Writer(step));

        var deleted = store.ApplyRetention(keepLast: 2, keepEvery: 5);

        Assert.Equal([1L, 2, 3, 4, 6, 7, 8, 9], deleted);
        Assert.Equal([5L, 10, 11, 12], store.ListSteps());
        Assert.Equal(["10", "11", "12", "5", "latest"], Entries());
        Assert.Equal(12L, store.LatestStep());
        Assert.Empty(store.ApplyRetention(keepLast: 2, keepEvery: 5));
    }

    [Fact]
    public void ApplyRetention_NeverDeletesTheLatestOrTheProtectedStep()
    {
        var store = new CheckpointStore(_dir);
        for (long step = 1; step <= 6; step++)
            store.Save(step, Writer(step));
        store.Save(2, Writer(2, version: 1)); // latest now names 2

        var deleted = store.ApplyRetention(keepLast: 1, keepEvery: 0, protect: 4);

        Assert.Equal([1L, 3, 5], deleted);
        Assert.Equal([2L, 4, 6], store.ListSteps());
        Assert.Equal(2L, store.LatestStep());
    }

    [Fact]
    public void ApplyRetention_NeverDeletesAStepMarkedInTheKeepFile_ByABranchOrByHand()
    {
        var sink = new SrTrain.Tests.Data.CollectingSink();
        bool stepOneExistedWhenLogged = false;
        var log = new Serilog.LoggerConfiguration().WriteTo.Sink(sink)
            .WriteTo.Sink(new ActionSink(e =>
            {
                if (e.RenderMessage().Contains("Retention")) stepOneExistedWhenLogged = Directory.Exists(Path.Combine(_dir, "1"));
            }))
            .CreateLogger();
        var store = new CheckpointStore(_dir, log);
        for (long step = 1; step <= 6; step++)
            store.Save(step, Writer(step));
        store.MarkKept(2, "branch runs/x-from2-translational");
        // What a user adds by hand: a comment, a step with a note, a step alone, and a line that is no step.
        File.AppendAllText(Path.Combine(_dir, CheckpointStore.KeepFileName), "# the control run starts here\n4 control\n3\nfour\n");

        var deleted = store.ApplyRetention(keepLast: 1, keepEvery: 0);

        Assert.Equal([1L, 5], deleted);
        Assert.Equal([2L, 3, 4, 6], store.ListSteps());
        Assert.Contains(sink.Warnings, w => w.Contains("'four'"));
        // One line, before anything is deleted, that says what goes and what stays and why.
        var retention = sink.Messages.Where(m => m.Contains("Retention")).ToList();
        var line = Assert.Single(retention);
        Assert.Contains("deletes checkpoint(s) 1, 5; keeps 2, 3, 4, 6; 2, 3, 4 marked in ", line);
        Assert.Contains("branch runs/x-from2-translational; control", line);
        Assert.True(stepOneExistedWhenLogged, "the line comes before the deletion");

        store.Save(7, Writer(7));
        Assert.Equal([6L], store.ApplyRetention(keepLast: 1, keepEvery: 0));
        Assert.Single(sink.Warnings, w => w.Contains("'four'")); // once per run, not at every save
    }

    [Fact]
    public void ApplyRetention_KeepLastCountsOnlyTheCheckpointsItIsToldTo_SoAnInterruptCheckpointTakesNoPlace()
    {
        var store = new CheckpointStore(_dir);
        foreach (var step in new long[] { 10, 20, 25, 30 })
            store.Save(step, Writer(step));
        // 25 was saved by Ctrl+C; keep_last 2 counts the scheduled 10, 20, 30.
        var deleted = store.ApplyRetention(keepLast: 2, keepEvery: 0, counts: s => s % 10 == 0);

        Assert.Equal([10L, 25], deleted);
        Assert.Equal([20L, 30], store.ListSteps());
    }

    [Fact]
    public void Save_WrapsIOException_AndLeavesEarlierCheckpointsAndLatestUnchanged_WhenTheWriterFails()
    {
        var store = new CheckpointStore(_dir);
        store.Save(100, Writer(100));
        store.Save(200, Writer(200));
        var latestBefore = File.ReadAllBytes(Path.Combine(_dir, "latest"));

        var ex = Assert.Throws<SrTrainException>(() => store.Save(300, dir =>
        {
            File.WriteAllBytes(Path.Combine(dir, "net_g.pth"), new byte[1000]);
            throw new IOException("No space left on device");
        }));

        Assert.Contains("could not write checkpoint 300 into", ex.Message);
        Assert.Contains("No space left on device", ex.Message);
        Assert.Contains("earlier checkpoints are intact", ex.Message);
        Assert.IsType<IOException>(ex.InnerException);
        Assert.Equal(["100", "200", "latest"], Entries());
        Assert.Equal(latestBefore, File.ReadAllBytes(Path.Combine(_dir, "latest")));
        Assert.Equal(200L, store.LatestStep());
        AssertHoldsVersion(store, 200, 0);
        store.Verify(200);
    }

    [Fact]
    public void Save_PropagatesOtherExceptionsUnwrapped_AndRemovesTheTempFolder()
    {
        var store = new CheckpointStore(_dir);
        store.Save(1, Writer(1));

        Assert.Throws<ArithmeticException>(() => store.Save(2, _ => throw new ArithmeticException("nan in weights")));
        // manifest.json is the store's own file; a writer producing one is a programming error.
        Assert.Throws<InvalidOperationException>(() =>
            store.Save(3, dir => File.WriteAllText(Path.Combine(dir, "manifest.json"), "{}")));
        Assert.Throws<InvalidOperationException>(() => store.Save(4, _ => { }));

        Assert.Equal(["1", "latest"], Entries());
        Assert.Equal(1L, store.LatestStep());
    }

    [Fact]
    public void Verify_NamesTheFile_WhenOneByteIsFlipped()
    {
        var store = new CheckpointStore(_dir);
        store.Save(10, Writer(10));
        store.Save(20, Writer(20));
        var victim = Path.Combine(store.PathFor(20), "ema", "net_g_ema.pth");
        var bytes = File.ReadAllBytes(victim);
        bytes[123] ^= 0x01;
        File.WriteAllBytes(victim, bytes);

        var ex = Assert.Throws<SrTrainException>(() => store.Verify(20));

        Assert.Contains(victim, ex.Message);
        Assert.Contains("corrupt", ex.Message);
        Assert.Contains("--from 10", ex.Message);
        store.Verify(10);
    }

    [Fact]
    public void Verify_NamesTheFile_AndListingSkipsTheCheckpoint_WhenAFileIsDeleted()
    {
        var store = new CheckpointStore(_dir);
        store.Save(10, Writer(10));
        store.Save(20, Writer(20));
        var victim = Path.Combine(store.PathFor(20), "optim_g.pth");
        File.Delete(victim);

        var ex = Assert.Throws<SrTrainException>(() => store.Verify(20));

        Assert.Contains(victim, ex.Message);
        Assert.Contains("missing", ex.Message);
        Assert.Equal([10L], store.ListSteps());
        Assert.Equal(10L, store.LatestStep()); // the pointer names 20, which is no longer complete
    }

    [Fact]
    public void Verify_SaysWhatToDo_WhenTheStepOrItsManifestIsMissing()
    {
        var store = new CheckpointStore(_dir);
        store.Save(10, Writer(10));
        store.Save(20, Writer(20));

        var missing = Assert.Throws<SrTrainException>(() => store.Verify(15));
        Assert.Contains(store.PathFor(15), missing.Message);
        Assert.Contains("--from 10", missing.Message); // the newest one before the asked-for step
        Assert.Contains("--from 20", Assert.Throws<SrTrainException>(() => store.Verify(5)).Message); // none before: newest

        var manifest = Path.Combine(store.PathFor(20), "manifest.json");
        File.WriteAllText(manifest, "{ \"step\": 20, \"files\": [ trunc");
        var bad = Assert.Throws<SrTrainException>(() => store.Verify(20));
        Assert.Contains(manifest, bad.Message);
        Assert.Contains("--from 10", bad.Message);

        File.Delete(manifest);
        var gone = Assert.Throws<SrTrainException>(() => store.Verify(20));
        Assert.Contains(manifest, gone.Message);
        Assert.Equal([10L], store.ListSteps());
    }

    [Fact]
    public void Verify_SaysStartAgain_WhenNoOtherCheckpointExists()
    {
        var store = new CheckpointStore(_dir);
        store.Save(10, Writer(10));
        File.WriteAllBytes(Path.Combine(store.PathFor(10), "net_g.pth"), new byte[3000]);

        var ex = Assert.Throws<SrTrainException>(() => store.Verify(10));
        Assert.Contains("no other complete checkpoint", ex.Message);
    }

    [Theory]
    [InlineData(null)]          // pointer deleted
    [InlineData("")]
    [InlineData("garbage\n")]
    [InlineData("-3")]
    [InlineData("0020")]        // not the folder's spelling
    [InlineData("25")]          // names a step that does not exist
    [InlineData("15")]          // names an incomplete folder
    public void LatestStep_FallsBackToTheNewestCompleteCheckpoint_WhenThePointerIsBad(string? pointer)
    {
        var store = new CheckpointStore(_dir);
        store.Save(10, Writer(10));
        store.Save(20, Writer(20));
        store.Save(5, Writer(5));
        Directory.CreateDirectory(Path.Combine(_dir, "15"));
        File.WriteAllText(Path.Combine(_dir, "15", "net_g.pth"), "half");
        var latest = Path.Combine(_dir, "latest");
        if (pointer is null)
            File.Delete(latest);
        else
            File.WriteAllText(latest, pointer);

        Assert.Equal(20L, new CheckpointStore(_dir).LatestStep());
    }

    [Fact]
    public void Leftovers_AreIgnoredByListing_AndRemovedByCleanLeftovers()
    {
        var store = new CheckpointStore(_dir);
        store.Save(10, Writer(10));
        // What interrupted writes leave: a complete-looking temp folder, a step moved aside whose replacement did
        // arrive, a folder half-deleted by retention and a pointer that was never renamed.
        var temp = Path.Combine(_dir, ".tmp-30-0badc0de");
        Directory.CreateDirectory(temp);
        Writer(30)(temp);
        File.WriteAllText(Path.Combine(temp, "manifest.json"), "{}");
        Directory.CreateDirectory(Path.Combine(_dir, ".old-10-12345678"));
        File.WriteAllText(Path.Combine(_dir, ".old-10-12345678", "net_g.pth"), "x");
        Directory.CreateDirectory(Path.Combine(_dir, ".del-3-87654321"));
        File.WriteAllText(Path.Combine(_dir, "latest.tmp"), "30");
        // Not ours: left alone by both.
        Directory.CreateDirectory(Path.Combine(_dir, "notes"));

        var fresh = new CheckpointStore(_dir);
        Assert.Equal([10L], fresh.ListSteps());
        Assert.Equal(10L, fresh.LatestStep());

        Assert.Equal(4, fresh.CleanLeftovers());

        Assert.Equal(["10", "latest", "notes"], Entries());
        AssertHoldsVersion(fresh, 10, 0);
        Assert.Equal(0, fresh.CleanLeftovers());
    }

    [Fact]
    public void CleanLeftovers_ReturnsZero_WhenTheFolderDoesNotExist()
    {
        var store = new CheckpointStore(_dir);
        Assert.Equal(0, store.CleanLeftovers());
        Assert.Empty(store.ListSteps());
        Assert.Null(store.LatestStep());
    }

    [Fact]
    public void Save_ReportsEachStageToTheObserverInOrder()
    {
        var first = new List<string>();
        new CheckpointStore(_dir, onStage: first.Add).Save(100, Writer(100));
        Assert.Equal(CheckpointStore.Stages.Where(s => s != "moved-aside"), first);

        var again = new List<string>();
        new CheckpointStore(_dir, onStage: again.Add).Save(100, Writer(100, 1));
        Assert.Equal(CheckpointStore.Stages, again);
    }

    public static TheoryData<string, bool> CrashCases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var stage in CheckpointStore.Stages)
        {
            if (stage != "moved-aside")
                data.Add(stage, false);
            data.Add(stage, true);
        }
        return data;
    }

    /// <summary>
    /// A crash at every point of a save, simulated by abandoning Save there with no clean-up: earlier checkpoints stay
    /// intact, the store opened afresh resumes from a complete checkpoint, and CleanLeftovers leaves a tidy folder
    /// in which nothing that was complete before is lost.
    /// </summary>
    [Theory]
    [MemberData(nameof(CrashCases))]
    public void Save_LeavesEveryEarlierCheckpointIntact_WhenItCrashesAtAnyStage(string stage, bool resaveExistingStep)
    {
        var store = new CheckpointStore(_dir);
        store.Save(100, Writer(100));
        store.Save(200, Writer(200));
        var step = resaveExistingStep ? 200L : 300L;
        var newVersion = resaveExistingStep ? 1 : 0;

        var crashing = new CheckpointStore(_dir, onStage: SimulatedCrashException.At(stage));
        Assert.Equal(stage, Assert.Throws<SimulatedCrashException>(() => crashing.Save(step, Writer(step, newVersion))).Stage);

        var reopened = new CheckpointStore(_dir);
        var latest = reopened.LatestStep();
        Assert.NotNull(latest);
        reopened.Verify(latest.Value);
        foreach (var s in reopened.ListSteps())
            reopened.Verify(s);
        AssertHoldsVersion(reopened, 100, 0);
        var renamed = Array.IndexOf(CheckpointStore.Stages, stage) >= Array.IndexOf(CheckpointStore.Stages, "renamed");
        // Before the pointer is renamed it still names 200; only while 200 is moved aside for its re-save is that
        // stale, and the fallback then takes 100, the newest complete checkpoint.
        Assert.Equal(stage == "pointer-updated" ? step : resaveExistingStep && stage == "moved-aside" ? 100L : 200L, latest);
        if (!resaveExistingStep)
            Assert.Equal(renamed ? [100L, 200L, 300L] : [100L, 200L], reopened.ListSteps());

        // Only a crash after the new folder got its name and before the pointer's temp file existed leaves nothing.
        var expectLeftovers = resaveExistingStep || stage is not ("renamed" or "pointer-updated");
        Assert.Equal(expectLeftovers, reopened.CleanLeftovers() > 0);

        // After clean-up: only step folders and the pointer, the step being saved is there in its old or its new
        // version, and the pointer names the newest save that reached it.
        Assert.All(Entries(), e => Assert.False(e.StartsWith('.') || e == "latest.tmp", e));
        Assert.Equal(renamed && !resaveExistingStep ? [100L, 200L, 300L] : [100L, 200L], reopened.ListSteps());
        if (resaveExistingStep)
            AssertHoldsVersion(reopened, 200, renamed ? 1 : 0);
        Assert.Equal(stage == "pointer-updated" ? step : 200L, reopened.LatestStep());
        foreach (var s in reopened.ListSteps())
            reopened.Verify(s);

        // And the store carries on saving normally.
        reopened.Save(400, Writer(400));
        Assert.Equal(400L, reopened.LatestStep());
    }

    sealed class ActionSink(Action<Serilog.Events.LogEvent> onEvent) : Serilog.Core.ILogEventSink
    {
        public void Emit(Serilog.Events.LogEvent logEvent) => onEvent(logEvent);
    }
}
