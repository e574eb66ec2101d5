using SrTrain.Data;
using SrTrain.Tests.Support;
using static SrTrain.Tests.Data.DataTestUtil;
using static TorchSharp.torch;

namespace SrTrain.Tests.Data;

/// <summary>Data parallel: rank r of n makes its share of the batch that (seed, step) defines, so the data of a step
/// does not depend on the number of ranks.</summary>
public class BatchShardTests
{
    static DataPipelineOptions Options(string hqDir, int shift = 0) => new()
    {
        HqDir = hqDir,
        Scale = 4,
        GtSize = 32 - 4 * shift,
        BatchSize = 4,
        Seed = 7,
        NumWorkers = 1,
        QueueCapacity = 2,
        UseHFlip = true,
        UseRot = true,
        TranslationalShift = shift,
    };

    [Theory]
    [InlineData(0)]
    [InlineData(2)] // with the translational corners: the corner pair is per step, shared by every shard
    public void TheShardsOfABatch_PutTogether_AreTheWholeBatch(int shift)
    {
        EnsureTorch();
        using var dir = new TempDir();
        foreach (var n in new[] { "chelsea_hq.png", "camera.png" }) File.Copy(TestFile(n), dir.File(n));
        var whole = new DataPipeline(Options(dir.Path, shift));
        foreach (int ranks in new[] { 2, 4 })
        {
            var shards = Enumerable.Range(0, ranks).Select(r => new DataPipeline(Options(dir.Path, shift) with { Shard = new BatchShard(r, ranks) })).ToArray();
            foreach (long step in new long[] { 0, 5, 123 })
            {
                using var all = whole.GetBatch(step);
                var parts = shards.Select(s => s.GetBatch(step)).ToArray();
                Assert.All(parts, p => Assert.Equal(4 / ranks, p.Lq.shape[0]));
                Assert.True(Same(all.Lq, cat(parts.Select(p => p.Lq).ToArray(), 0)), $"LQ of step {step} over {ranks} ranks");
                Assert.True(Same(all.Hq, cat(parts.Select(p => p.Hq).ToArray(), 0)), $"HQ of step {step} over {ranks} ranks");
                Assert.Equal(all.Samples, parts.SelectMany(p => p.Samples));
                if (shift > 0)
                {
                    Assert.True(Same(all.SecondView!.Lq, cat(parts.Select(p => p.SecondView!.Lq).ToArray(), 0)));
                    Assert.All(parts, p => Assert.Equal(all.SecondView.Crop, p.SecondView!.Crop));
                }
                foreach (var p in parts) p.Dispose();
            }
        }
    }

    [Fact]
    public void ABatchThatDoesNotDivideOverTheRanks_IsRefused_NamingTheKey()
    {
        using var dir = new TempDir();
        File.Copy(TestFile("camera.png"), dir.File("camera.png"));
        var e = Assert.Throws<SrTrainException>(() => new DataPipeline(Options(dir.Path) with { Shard = new BatchShard(0, 3) }));
        Assert.Contains("datasets.train.batch_size 4", e.Message);
        Assert.Contains("3 ranks", e.Message);
    }
}
