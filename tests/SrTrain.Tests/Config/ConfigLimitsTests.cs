using SrTrain.Config;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Config;

/// <summary>Nesting, size and value bounds of configs (issue 14), through the real loader.</summary>
public class ConfigLimitsTests
{
    [Theory]
    [InlineData(200)]
    [InlineData(100_000)]
    public void DeepFlowSequences_AreRefusedWithTheLine_NotAStackOverflow(int depth)
    {
        var e = Assert.Throws<SrTrainException>(() => ConfigLoader.LoadText(new string('[', depth) + new string(']', depth), "deep.yaml"));
        Assert.Contains("deep.yaml", e.Message);
        Assert.Contains("nests deeper than 64", e.Message);
    }

    [Fact]
    public void DeepSetValue_IsRefusedNamingTheKey_NotAStackOverflow()
    {
        // A --set value went to YamlDotNet's recursive loader without the guard; 130,000 '[' (one command-line
        // argument's worth) overflowed the stack and killed the process with a trace.
        var e = Assert.Throws<SrTrainException>(() =>
            ConfigLoader.SetOverride("train.total_steps=" + new string('[', 130_000)));
        Assert.Contains("--set train.total_steps", e.Message);
        Assert.Contains("nests deeper than 64", e.Message);
    }

    [Fact]
    public void NestingWithinTheLimit_StillReachesTheUsualChecks()
    {
        var e = Assert.Throws<SrTrainException>(() => ConfigLoader.LoadText("trian:\n  a: [[[1]]]\n", "c.yaml"));
        Assert.Contains("unknown key 'trian'", e.Message);
    }

    [Fact]
    public void HugeSingleValue_IsRefused()
    {
        var e = Assert.Throws<SrTrainException>(() => ConfigLoader.LoadText("name: " + new string('x', 10_000) + "\n", "c.yaml"));
        Assert.Contains("10000 characters", e.Message);
    }

    [UnixFact("/dev/zero (a file that never ends)")]
    public void ConfigFileThatNeverEnds_OrIsHuge_IsRefused_ReadingNoMoreThanTheLimit()
    {
        // A device is refused by its type before it is opened; a regular file is read up to the limit only.
        var e = Assert.Throws<SrTrainException>(() => ConfigLoader.LoadFile("/dev/zero"));
        Assert.Contains("/dev/zero: is a character device, not a regular file", e.Message);
        using var dir = new SrTrain.Tests.Support.TempDir();
        var huge = dir.File("huge.yaml");
        using (var f = File.Create(huge)) f.SetLength(5 << 20);
        e = Assert.Throws<SrTrainException>(() => ConfigLoader.LoadFile(huge));
        Assert.Contains("larger than 4 MB", e.Message);
    }

    [Theory]
    [InlineData("datasets:\n  train:\n    batch_size: 2e9", "datasets.train.batch_size")]
    [InlineData("datasets:\n  train:\n    batch_size: 4096\n    gt_size: 512", "datasets.train.batch_size")]
    [InlineData("network_g:\n  num_feat: 2e9", "network_g.num_feat")]
    [InlineData("network_g:\n  num_block: 100000", "network_g.num_block")]
    [InlineData("network_d:\n  num_feat: 5000", "network_d.num_feat")]
    [InlineData("val:\n  max_lq_size: 100000", "val.max_lq_size")]
    public void SizesAboveTheirBound_AreRefused_UnlessLifted(string yaml, string key)
    {
        var e = Assert.Throws<SrTrainException>(() => ConfigLoader.LoadText(yaml, "c.yaml"));
        Assert.Contains($"'{key}'", e.Message);
        Assert.Contains(ConfigValidator.AllowLargeVariable, e.Message);
        var old = Environment.GetEnvironmentVariable(ConfigValidator.AllowLargeVariable);
        try
        {
            Environment.SetEnvironmentVariable(ConfigValidator.AllowLargeVariable, "1");
            ConfigLoader.LoadText(yaml, "c.yaml");
        }
        finally
        {
            Environment.SetEnvironmentVariable(ConfigValidator.AllowLargeVariable, old);
        }
    }

    [Fact]
    public void BundledConfigs_AreWithinTheBounds()
    {
        var configs = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "configs");
        foreach (var f in Directory.EnumerateFiles(configs, "*.yaml")) ConfigLoader.LoadFile(f);
    }

    [Fact]
    public void RunNameLongerThan200Bytes_IsRefused()
    {
        var e = Assert.Throws<SrTrainException>(() => ConfigLoader.LoadText("name: " + new string('é', 101) + "\n", "c.yaml"));
        Assert.Contains("202 bytes", e.Message);
    }
}
