using SixLabors.ImageSharp;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Cli;

/// <summary>Issue 17's "A/B at a glance", through the real program: eval compares several models in one table, and the
/// report marks runs that stopped early or are compared at different steps and shows zoomed crops and difference maps.</summary>
[Trait("Speed", "process")]
public class AbAtAGlanceCliTests
{
    static readonly string SrVgg = Path.Combine(AppContext.BaseDirectory, "TestData", "Inference", "srvgg_x4_nf16_nc4_quickstart.pth");
    static readonly string RrdbX4 = SrTrain.Tests.Models.ReferenceData.PathOf("rrdbnet_x4_nf16_nb2_gc8.pth");
    static readonly string RrdbX2 = SrTrain.Tests.Models.ReferenceData.PathOf("rrdbnet_x2_nf16_nb1_gc8.pth");
    static readonly string Val = Path.Combine(AppContext.BaseDirectory, "TestData", "Training", "val");

    [Fact]
    public void Eval_WithSeveralModels_PrintsOneTable_WithARowPerModel()
    {
        using var dir = new TempDir("srtrain-ab");
        var (code, output) = CliProcess.Run(dir.Path, "eval", "--model", SrVgg, "--model", RrdbX4, "--data", Val, "--csv", "ab.csv", "--device", "cpu");
        Assert.True(code == 0, output);
        var table = output.Split('\n').Where(l => !l.Contains(" INF ")).ToList();
        var header = table.First(l => l.StartsWith("image"));
        Assert.Contains("shift_err", header);
        foreach (var method in new[] { "srvgg_x4_nf16_nc4_quickstart", "rrdbnet_x4_nf16_nb2_gc8", "bicubic" })
        {
            Assert.Contains(table, l => l.StartsWith("chelsea_val") && l.Contains(method));
            Assert.Contains(table, l => l.StartsWith("mean") && l.Contains(method));
        }
        var csv = File.ReadAllLines(dir.File("ab.csv"));
        Assert.Equal(1 + 3 + 3, csv.Length);

        // Models of different scales cannot share a table: one line says so.
        (code, output) = CliProcess.Run(dir.Path, "eval", "--model", SrVgg, RrdbX2, "--data", Val, "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Contains("the models upscale by different factors", output.Trim().Split('\n')[^1]);
    }

    [Fact]
    public void Report_MarksAnEarlyStopAndDifferentSteps_AndTheGridHasZoomAndDifferenceRows()
    {
        using var t = new TrainingTestRun();
        var a = t.WriteConfig("a", "val: {val_freq: 10}\ncheckpoint: {save_freq: 10}\n", totalSteps: 20);
        var b = t.WriteConfig("b", "val: {val_freq: 10}\ncheckpoint: {save_freq: 10}\n", totalSteps: 10);
        foreach (var cfg in new[] { a, b })
        {
            var (c, o) = CliProcess.Run(t.Dir, "train", "--config", cfg);
            Assert.True(c == 0, o);
        }
        // Run b as a run killed at step 10 of 20 leaves it: its resolved config says 20.
        var bConfig = Path.Combine(t.RunsDir, "b", "config.yml");
        File.WriteAllText(bConfig, File.ReadAllText(bConfig).Replace("total_steps: 10", "total_steps: 20"));

        var (code, output) = CliProcess.Run(t.Dir, "report", Path.Combine(t.RunsDir, "a"), Path.Combine(t.RunsDir, "b"), "-o", "rep", "--device", "cpu");
        Assert.True(code == 0, output);
        var md = File.ReadAllText(Path.Combine(t.Dir, "rep", "report.md"));
        Assert.Contains("| 10 / 20 **stopped early** |", md);
        Assert.Contains("| 20 / 20 |", md);
        Assert.Contains("b stopped early: its last step is 10 of 20", md);
        Assert.Contains("compared at different steps (final validation at a 20, b 10)", md);
        Assert.Matches(@"Rows, top to bottom: chelsea_val, center zoomed ×3, difference to a ×\d+ \(white: the same, black: differs most\)\.", md);

        // Three rows (crop, zoom, difference) of equal height under the labels.
        var grid = Image.Identify(Path.Combine(t.Dir, "rep", "grid.png"));
        var crop = Image.Identify(Path.Combine(Val, "chelsea_val.png"));
        int cell = Math.Min(crop.Height / 4, 48) * 4;
        Assert.InRange(grid.Height, 3 * (cell + 4), 3 * (cell + 4) + 60);
    }
}
