using Serilog.Core;
using SrTrain.Checkpoints;
using SrTrain.Inference;
using SrTrain.Interop;
using SrTrain.Models;
using SrTrain.Runs;
using SrTrain.Runtime;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Inference;

public sealed class UpscalePlanTests : IDisposable
{
    static UpscalePlanTests() => NativeRuntime.EnsureLoaded();

    readonly TempDir _dir = new("srtrain-plan");

    public void Dispose() => _dir.Dispose();

    string P(string name) => _dir.File(name);

    void Touch(params string[] names)
    {
        foreach (var n in names)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(P(n))!);
            File.WriteAllText(P(n), "");
        }
    }

    [Fact]
    public void Folder_TakesItsImages_NotSubfolders_NorEarlierOutputs()
    {
        Touch("in/b.png", "in/a.jpg", "in/a_x4.jpg", "in/lone_x4.png", "in/notes.txt", "in/sub/c.png");
        var plan = UpscalePlan.Build([P("in")], null, 4);
        Assert.Empty(plan.Problems);
        Assert.Equal(new[] { "a.jpg", "b.png", "lone_x4.png" }, plan.Jobs.Select(j => Path.GetFileName(j.Input)));
        Assert.Equal(P("in/a_x4.jpg"), plan.Jobs[0].Output);
        Assert.Equal(P("in/lone_x4_x4.png"), plan.Jobs[2].Output);
    }

    [Fact]
    public void OutputOption_IsAFileForOneInputFile_AFolderOtherwise_AndAnImageNameWithSeveralInputsIsRefused()
    {
        Touch("a.png", "b.png");
        Assert.Equal(P("out.png"), UpscalePlan.Build([P("a.png")], P("out.png"), 2).Jobs.Single().Output);
        Assert.Equal(P("o/a_x2.png"), UpscalePlan.Build([P("a.png")], P("o"), 2).Jobs.Single().Output);
        var e = Assert.Throws<SrTrainException>(() => UpscalePlan.Build([P("a.png"), P("b.png")], P("out.png"), 2));
        Assert.Contains("give a folder for -o", e.Message);
        Assert.False(Directory.Exists(P("out.png")));
        // A folder that already has that name is a folder.
        Directory.CreateDirectory(P("out.png"));
        var two = UpscalePlan.Build([P("a.png"), P("b.png")], P("out.png"), 2);
        Assert.Equal(new[] { P("out.png/a_x2.png"), P("out.png/b_x2.png") }, two.Jobs.Select(j => j.Output));
    }

    [Fact]
    public void MissingArguments_AndCollidingOutputs_AreProblems_NotJobs()
    {
        Touch("x/a.png", "y/a.png");
        var plan = UpscalePlan.Build([P("x/a.png"), P("y/a.png"), P("nope.png"), P("z*.png")], P("out"), 4);
        Assert.Single(plan.Jobs);
        Assert.Equal(3, plan.Problems.Count);
        Assert.Contains(plan.Problems, p => p.Contains("nope.png: no such file"));
        Assert.Contains(plan.Problems, p => p.Contains("z*.png: matches no image"));
        Assert.Contains(plan.Problems, p => p.Contains("already the output of"));
    }

    [Fact]
    public void ModelResolver_TakesTheRunsLatestCheckpoint_OrACheckpointFolder_OrAFile()
    {
        var run = new RunFolder(P("runs/r1"));
        var store = new CheckpointStore(run.CheckpointsDir);
        using var net = new SrVggNetCompact(3, 3, 4, 1, 2);
        foreach (long step in new long[] { 100, 200 })
            store.Save(step, d => WeightFile.WriteGenerator(net, Path.Combine(d, CheckpointFiles.GeneratorEmaPth)));

        var fromRun = ModelResolver.Resolve(run.Dir, P("runs"), Logger.None);
        Assert.Equal(Path.Combine(store.PathFor(200), CheckpointFiles.GeneratorEmaPth), fromRun.WeightsPath);
        Assert.Equal("run r1, checkpoint 200", fromRun.Description);
        Assert.Equal(Path.Combine(store.PathFor(100), CheckpointFiles.GeneratorEmaPth),
            ModelResolver.Resolve(store.PathFor(100), P("runs"), Logger.None).WeightsPath);
        var file = Path.Combine(store.PathFor(100), CheckpointFiles.GeneratorEmaPth);
        Assert.Equal(file, ModelResolver.Resolve(file, P("runs"), Logger.None).WeightsPath);

        // No --model: the most recent run (one with a config.yml) under runs/.
        File.WriteAllText(run.ConfigPath, "name: r1\n");
        Assert.Equal(fromRun.WeightsPath, ModelResolver.Resolve(null, P("runs"), Logger.None).WeightsPath);
        var e = Assert.Throws<SrTrainException>(() => ModelResolver.Resolve(null, P("elsewhere"), Logger.None));
        Assert.Contains("--model", e.Message);
        Assert.Throws<SrTrainException>(() => ModelResolver.Resolve(P("runs"), P("runs"), Logger.None));
    }

    [Fact]
    public void ModelResolver_Load_TakesTheRunsNextCheckpoint_WhenRetentionRemovedTheResolvedOne()
    {
        // A reader of a run that trains with save_freq 1, keep_last 3 once failed 14 of 16 times with
        // "checkpoints/N/net_g_ema.pth does not exist": retention removed N between resolving and loading.
        var run = new RunFolder(P("runs/r2"));
        var store = new CheckpointStore(run.CheckpointsDir);
        using var net = new SrVggNetCompact(3, 3, 4, 1, 2);
        void Save(long step) => store.Save(step, d => WeightFile.WriteGenerator(net, Path.Combine(d, CheckpointFiles.GeneratorEmaPth)));
        Save(1);
        Save(2);
        var resolved = ModelResolver.Resolve(run.Dir, P("runs"), Logger.None);
        Assert.Equal("run r2, checkpoint 2", resolved.Description);
        var log = new SrTrain.Tests.Data.CollectingSink();
        var loads = new List<string>();
        var spec = ModelResolver.Load(resolved, path =>
        {
            loads.Add(path);
            if (loads.Count == 1)
            {
                // The training run goes on meanwhile: two more checkpoints, keep_last 1.
                Save(3);
                Save(4);
                store.ApplyRetention(keepLast: 1, keepEvery: 0);
            }
            return WeightFile.ReadGenerator(path).Spec;
        }, log.CreateLogger(), out var used);
        Assert.Equal(2, spec.Scale);
        Assert.Equal("run r2, checkpoint 4", used.Description);
        Assert.Equal(Path.Combine(store.PathFor(4), CheckpointFiles.GeneratorEmaPth), loads[^1]);
        Assert.Contains(log.Warnings, m => m.Contains("removed by the run's checkpoint retention"));
    }

    [Fact]
    public void ModelResolver_Load_ReportsAMissingFile_ThatIsNoRunsCheckpoint()
    {
        var file = P("gone.pth");
        var e = Assert.Throws<SrTrainException>(() =>
            ModelResolver.Load(new ResolvedModel(file, "gone.pth"), path => WeightFile.ReadGenerator(path).Spec, Logger.None, out _));
        Assert.Contains("gone.pth does not exist", e.Message);
    }
}
