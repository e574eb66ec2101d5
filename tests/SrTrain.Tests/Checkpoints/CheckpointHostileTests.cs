using SrTrain.Checkpoints;
using SrTrain.Config;
using SrTrain.Tests.Support;
using SrTrain.Training;

namespace SrTrain.Tests.Checkpoints;

/// <summary>Checkpoint files replaced by something that is not a file (issue 14): verification must end, and say so.</summary>
public sealed class CheckpointHostileTests : IDisposable
{
    readonly TempDir _dir = new("srtrain-ckpt-hostile");

    public void Dispose() => _dir.Dispose();

    [UnixTheory("/dev/zero (a file that never ends)")]
    [InlineData(false)]
    [InlineData(true)]
    public void CheckpointFileLinkedToDevZero_FailsVerification_InsteadOfHashingForever(bool manifestSaysEmpty)
    {
        var store = new CheckpointStore(_dir.Path);
        var folder = store.Save(3, f => File.WriteAllBytes(Path.Combine(f, "net_g.pt"), new byte[1000]));
        var file = Path.Combine(folder, "net_g.pt");
        File.Delete(file);
        File.CreateSymbolicLink(file, "/dev/zero");
        if (manifestSaysEmpty)
        {
            var manifest = Path.Combine(folder, CheckpointManifest.FileName);
            File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("1000", "0"));
        }
        Assert.Contains("net_g.pt", FailsWithin60s(() => store.Verify(3)).Message);
    }

    /// <summary>Runs on a worker thread so that a hang fails the test instead of stalling the suite.</summary>
    static SrTrainException FailsWithin60s(Action action)
    {
        var task = Task.Run(action);
        try { Assert.True(task.Wait(TimeSpan.FromSeconds(60)), "did not end within 60 s"); }
        catch (AggregateException) { }
        return Assert.IsType<SrTrainException>(task.Exception?.InnerException);
    }

    [UnixFact("/dev/zero (a file that never ends)")]
    public void BoundedHash_OfAFileThatNeverEnds_StopsOneBytePastTheExpectedSize() =>
        Assert.Null(CheckpointManifest.HashFileBounded("/dev/zero", 4096));

    [Fact]
    public void BoundedHash_ReadsNoMoreThanOneBytePastTheExpectedSize()
    {
        var path = _dir.File("f");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Equal(CheckpointManifest.HashFile(path), CheckpointManifest.HashFileBounded(path, 3));
        Assert.Null(CheckpointManifest.HashFileBounded(path, 2));
        Assert.Null(CheckpointManifest.HashFileBounded(path, 4));
    }

    [Fact]
    public void TrainingCheckpoint_WithNonFiniteWeights_IsNeverWritten()
    {
        using var t = new TrainingTestRun();
        var config = ConfigLoader.LoadFile(t.WriteConfig("nan"));
        using var parts = TrainingSetup.Build(config, TorchSharp.torch.CPU, Serilog.Core.Logger.None);
        using (TorchSharp.torch.no_grad())
            parts.G.parameters().First().fill_(float.NaN);
        var store = new CheckpointStore(_dir.File("checkpoints"));
        var e = Assert.Throws<SrTrainException>(() =>
            store.Save(5, folder => TrainingCheckpoint.Write(folder, parts.Checkpointed, new TrainingState(5, 0, 0), config)));
        Assert.Contains("NaN or infinite", e.Message);
        Assert.Empty(store.ListSteps());
        Assert.Null(store.LatestStep());
    }
}
