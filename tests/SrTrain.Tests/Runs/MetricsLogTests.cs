using SrTrain.Runs;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Runs;

/// <summary>Reading metrics.jsonl, which a crash may leave torn and a user may edit.</summary>
public sealed class MetricsLogTests : IDisposable
{
    readonly TempDir _dir = new("srtrain-metrics");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("5")]
    [InlineData("[1,2]")]
    [InlineData("\"val\"")]
    [InlineData("null")]
    [InlineData("{\"kind\":5,\"step\":3}")]
    [InlineData("{\"kind\":\"val\",\"step\":\"3\"}")]
    [InlineData("{\"kind\":\"val\",\"step\":3.5}")]
    [InlineData("{\"kind\":\"val\",\"step\":1e30}")]
    [InlineData("{\"kind\":\"val\",\"step\":3,\"psnr_y\":")]
    public void LinesThatAreNoRecord_AreSkipped_LikeTornOnes(string line)
    {
        // `5` or `[1,2]` once made resume and report exit 3 (an internal error).
        File.WriteAllText(_dir.File(MetricsLog.FileName),
            "{\"kind\":\"val\",\"step\":2,\"psnr_y\":20.5}\n" + line + "\n{\"kind\":\"train\",\"step\":4,\"l_pix\":0.25}\n");
        var records = MetricsLog.Read(_dir.Path);
        Assert.Equal([("val", 2L), ("train", 4L)], records.Select(r => (r.Kind, r.Step)));
        Assert.Equal(20.5, records[0].Values["psnr_y"]);
    }
}
