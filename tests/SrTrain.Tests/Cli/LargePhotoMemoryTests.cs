using SrTrain.Benchmarks;
using SrTrain.Cli;
using SrTrain.Tests.Support;
using Xunit.Abstractions;
using static SrTrain.Tests.Cli.UpscaleCliHarness;

namespace SrTrain.Tests.Cli;

/// <summary>Peak memory of the real commands on a photo of a few megapixels, with a generous margin: the figures and
/// the targets are in `srtrain bench --large-images` and the README; these only catch a return to holding whole images
/// as float (which took 2.3 GB for a 1 MP upscale and more than 6 GB at 4 MP).</summary>
[Trait("Speed", "slow")]
public sealed class LargePhotoMemoryTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir _dir = new("srtrain-large-photo");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void UpscaleAndEval_OfA2MpPhoto_StayFarBelowTheirFormerPeak()
    {
        var photo = Path.Combine(AppContext.BaseDirectory, "TestData", "Data", "coffee_hq.png");
        var folder = _dir.File("photos");
        LargeImageBench.MakePhoto(photo, 1600, 1250, Path.Combine(folder, "big.png"));
        var model = TestFile(TrainedSrVgg);

        var (code, log, peak) = CliProcess.RunMeasured(_dir.Path, null, TimeSpan.FromMinutes(10), "--threads", "2", "upscale", Path.Combine(folder, "big.png"),
            "-o", _dir.File("out"), "--model", model);
        output.WriteLine($"upscale 1600x1250 x4: peak {peak / 1048576} MiB");
        Assert.True(code == CliApp.ExitOk, log);
        // 2 MP in, 32 MP out: 6 MB + 96 MB of 8-bit pixels, a 69 MB band, the runtime; whole-image float took ~4 GB.
        Assert.True(peak < 1200L << 20, $"upscale peak {peak / 1048576} MiB");

        (code, log, peak) = CliProcess.RunMeasured(_dir.Path, null, TimeSpan.FromMinutes(10), "--threads", "2", "eval", "--data", folder, "--model", model);
        output.WriteLine($"eval 1600x1250 HQ: peak {peak / 1048576} MiB");
        Assert.True(code == CliApp.ExitOk, log);
        Assert.Contains("central 512x512", log);
        Assert.True(peak < 1000L << 20, $"eval peak {peak / 1048576} MiB");
    }
}
