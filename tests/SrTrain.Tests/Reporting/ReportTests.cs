using System.Globalization;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SrTrain.Cli;
using SrTrain.Reporting;
using SrTrain.Runtime;
using SrTrain.Tests.Support;
using SrTrain.Training;
using static SrTrain.Tests.Reporting.TrainedRunsFixture;
using static TorchSharp.torch;

namespace SrTrain.Tests.Reporting;

/// <summary>Three real, tiny runs made once by the training library: "alpha" and "beta" from scratch (<see cref="Total"/>
/// steps, validation and checkpoint every <see cref="Mid"/>) and "alpha-from10-translational", a branch of alpha at
/// step <see cref="Mid"/>.</summary>
public sealed class TrainedRunsFixture : IDisposable
{
    public const int Mid = 10;
    public const int Total = 20;
    public const int PrintFreq = 2;
    public const int GanStart = 4;

    readonly TempDir _root = new("srtrain-report");

    public string Root => _root.Path;
    public string Alpha { get; }
    public string Beta { get; }
    public string Branch { get; }
    public string ValImage => Path.Combine(AppContext.BaseDirectory, "TestData", "Reporting", "val", "chelsea_val.png");

    public TrainedRunsFixture()
    {
        NativeRuntime.EnsureLoaded();
        var ctx = new LaunchContext("cpu", 1, Serilog.Core.Logger.None, _ => { });
        Alpha = TrainingLauncher.Train(new TrainRequest(WriteConfig("alpha", seed: 0, lr: 1e-3), null, false), ctx, CancellationToken.None).RunDir;
        Beta = TrainingLauncher.Train(new TrainRequest(WriteConfig("beta", seed: 1, lr: 3e-4), null, false), ctx, CancellationToken.None).RunDir;
        Branch = TrainingLauncher.Resume(new ResumeRequest(Alpha, Mid, true, null, Array.Empty<string>(), null), ctx, CancellationToken.None).RunDir;
    }

    string WriteConfig(string name, int seed, double lr)
    {
        var data = Path.Combine(AppContext.BaseDirectory, "TestData", "Reporting");
        var yaml = $"""
            name: {name}
            scale: 4
            seed: {seed}
            runs_dir: {Path.Combine(Root, "runs")}
            datasets:
              train:
                dataroot_gt: {Path.Combine(data, "train")}
                gt_size: 32
                batch_size: 2
                num_workers: 1
                cache_images: true
              val:
                dataroot_gt: {Path.Combine(data, "val")}
            network_g:
              type: SRVGGNetCompact
              num_feat: 8
              num_block: 2
            network_d:
              type: UNetDiscriminatorSN
              num_feat: 8
            losses:
              pixel:
                weight: 1.0
              gan:
                type: RaGAN
                weight: 0.01
                start_step: {GanStart}
              translational:
                shift: 2
            train:
              total_steps: {Total}
              optim_g:
                lr: {lr.ToString(CultureInfo.InvariantCulture)}
            val:
              val_freq: {Mid}
              save_images: 0
            logger:
              print_freq: {PrintFreq}
              use_tensorboard: false
            checkpoint:
              save_freq: {Mid}
            """;
        var path = Path.Combine(Root, name + ".yml");
        File.WriteAllText(path, yaml);
        return path;
    }

    public void Dispose() => _root.Dispose();
}

public sealed class ReportTests : IClassFixture<TrainedRunsFixture>
{
    readonly TrainedRunsFixture _runs;

    public ReportTests(TrainedRunsFixture runs) => _runs = runs;

    string NewOutDir() => Path.Combine(_runs.Root, "report-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>metrics.jsonl read independently of MetricsLog: (kind, step) → values, the last line winning.</summary>
    static Dictionary<(string Kind, long Step), Dictionary<string, double>> ReadJsonl(string runDir)
    {
        var result = new Dictionary<(string, long), Dictionary<string, double>>();
        foreach (var line in File.ReadLines(Path.Combine(runDir, "metrics.jsonl")))
        {
            using var doc = JsonDocument.Parse(line);
            var values = doc.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number && p.Name != "step")
                .ToDictionary(p => p.Name, p => p.Value.GetDouble());
            result[(doc.RootElement.GetProperty("kind").GetString()!, doc.RootElement.GetProperty("step").GetInt64())] = values;
        }
        return result;
    }

    static List<SeriesPoint> FromJsonl(Dictionary<(string Kind, long Step), Dictionary<string, double>> lines, string kind, string key) =>
        lines.Where(kv => kv.Key.Kind == kind && kv.Value.ContainsKey(key)).OrderBy(kv => kv.Key.Step)
            .Select(kv => new SeriesPoint(kv.Key.Step, kv.Value[key])).ToList();

    [Fact]
    public void Series_EqualMetricsFile_ForEveryPlottedMetricAndLoss()
    {
        var data = ReportData.Load([_runs.Alpha, _runs.Beta]);
        Assert.Equal(["psnr_y", "ssim_y", "shift_err", "shift_err_interior", "phase_err", "psnr_rgb", "ssim_rgb"], data.ValMetrics);
        Assert.Contains("l_g_pix", data.Losses);
        Assert.Contains("l_d", data.Losses);
        foreach (var (run, dir) in data.Runs.Zip(new[] { _runs.Alpha, _runs.Beta }))
        {
            var lines = ReadJsonl(dir);
            foreach (var m in data.ValMetrics)
            {
                var expected = FromJsonl(lines, "val", m);
                Assert.Equal([(long)Mid, Total], expected.Select(p => p.Step));
                Assert.Equal(expected, run.Series("val", m));
            }
            foreach (var l in data.Losses)
            {
                var expected = FromJsonl(lines, "train", l);
                // Logged every PrintFreq steps; the GAN terms from their start step on.
                Assert.Equal(l is "l_g_gan" or "l_d" ? (Total - GanStart) / PrintFreq : Total / PrintFreq, expected.Count);
                Assert.Equal(expected, run.Series("train", l));
            }
            Assert.Equal(lines[("val_bicubic", Mid)], run.Bicubic);
        }
    }

    [Fact]
    public void BranchSeries_StartsAtParentValueAtBranchStep()
    {
        var data = ReportData.Load([_runs.Branch]);
        var branch = data.Runs[0];
        Assert.True(branch.IsBranch);
        Assert.Equal(Mid, branch.ParentStep);
        Assert.Equal(Path.GetFullPath(_runs.Alpha), branch.ParentDir);
        var parent = ReadJsonl(_runs.Alpha);
        var own = ReadJsonl(_runs.Branch);
        foreach (var m in data.ValMetrics)
        {
            var s = branch.Series("val", m);
            Assert.Equal(new SeriesPoint(Mid, parent[("val", Mid)][m]), s[0]);
            Assert.Equal(FromJsonl(own, "val", m), s.Skip(1));
            Assert.Equal([(long)Total], s.Skip(1).Select(p => p.Step));
            // Final and best come from the branch's own validations only.
            Assert.Equal(new SeriesPoint(Total, own[("val", Total)][m]), data.Summaries(m)[0].Final);
        }
        Assert.Contains("l_g_trans", data.Losses);
        // The smoothed loss continues the parent's average: at the branch step it equals the parent's smoothed value.
        var parentRun = ReportData.Load([_runs.Alpha]).Runs[0];
        var parentSmoothed = parentRun.SmoothedSeries("train", "l_g_pix", 0.6).Single(p => p.Step == Mid);
        var branchSmoothed = branch.SmoothedSeries("train", "l_g_pix", 0.6);
        Assert.Equal(parentSmoothed.Value, branchSmoothed[0].Value, 12);
        Assert.Equal(branch.Series("train", "l_g_pix").Select(p => p.Step), branchSmoothed.Select(p => p.Step));
        Assert.Equal(new SeriesPoint(Mid, parent[("train", Mid)]["l_g_pix"]), branch.Series("train", "l_g_pix")[0]);
    }

    [Fact]
    public void Summaries_GiveFinalBestAndDifferenceToFirstRun()
    {
        var data = ReportData.Load([_runs.Alpha, _runs.Beta]);
        var a = ReadJsonl(_runs.Alpha);
        var b = ReadJsonl(_runs.Beta);
        var psnr = data.Summaries("psnr_y");
        double aBest = Math.Max(a[("val", Mid)]["psnr_y"], a[("val", Total)]["psnr_y"]);
        double bBest = Math.Max(b[("val", Mid)]["psnr_y"], b[("val", Total)]["psnr_y"]);
        Assert.Equal(a[("val", Total)]["psnr_y"], psnr[0].Final.Value);
        Assert.Equal(aBest, psnr[0].Best.Value);
        Assert.Null(psnr[0].DeltaFinal);
        Assert.Equal(b[("val", Total)]["psnr_y"] - a[("val", Total)]["psnr_y"], psnr[1].DeltaFinal!.Value, 12);
        Assert.Equal(bBest - aBest, psnr[1].DeltaBest!.Value, 12);
        // shift_err: lower is better.
        var shift = data.Summaries("shift_err");
        Assert.Equal(Math.Min(a[("val", Mid)]["shift_err"], a[("val", Total)]["shift_err"]), shift[0].Best.Value);
        // Same validation image for both runs: one bicubic baseline.
        Assert.Equal(a[("val_bicubic", Mid)]["psnr_y"], Assert.Single(data.Baselines("psnr_y")).Value);
    }

    [Fact]
    public void Smooth_MatchesTensorBoardDebiasedEma()
    {
        var raw = new[] { new SeriesPoint(1, 1), new SeriesPoint(2, 2), new SeriesPoint(3, 3), new SeriesPoint(4, double.NaN), new SeriesPoint(5, 3) };
        var s = ReportData.Smooth(raw, 0.6);
        // last_n = 0.6·last + 0.4·v, divided by 1 - 0.6^n.
        Assert.Equal(1.0, s[0].Value, 12);
        Assert.Equal(1.04 / 0.64, s[1].Value, 12);
        Assert.Equal(1.824 / 0.784, s[2].Value, 12);
        Assert.True(double.IsNaN(s[3].Value));
        Assert.Equal((1.824 * 0.6 + 1.2) / (0.784 * 0.6 + 0.4), s[4].Value, 12);
        Assert.Equal(raw.Select(p => p.Step), s.Select(p => p.Step));
    }

    [Fact]
    public void Report_MarksWhereATermJoinsInsideARun_InThePlotsAndTheRunsTable()
    {
        var outDir = NewOutDir();
        var result = RunReport.Write([_runs.Alpha, _runs.Beta, _runs.Branch], outDir, CPU);

        // alpha and beta start the GAN at step 4: one shared grey line. The branch starts at 10, after the GAN's
        // start, and its translational term starts at its branch line: nothing more to mark for it.
        var mark = Assert.Single(MetricPlots.PhaseMarks(result.Data));
        Assert.Equal(GanStart, mark.Step);
        Assert.Equal($"GAN from {GanStart} (alpha, beta)", mark.Legend);
        Assert.Equal([0, 1], mark.RunIndices);

        var md = File.ReadAllText(result.MarkdownPath);
        Assert.Contains("| terms joining |", md);
        Assert.Contains($"| GAN from {GanStart} |", md);
        Assert.Contains("densely dashed line marks where a term", md);

        var one = RunReport.Write([_runs.Alpha], NewOutDir(), CPU);
        Assert.Equal($"GAN from {GanStart}", Assert.Single(MetricPlots.PhaseMarks(one.Data)).Legend);
    }

    [Fact]
    public void Report_WritesDecodablePlotsGridAndMarkdown()
    {
        var outDir = NewOutDir();
        var result = RunReport.Write([_runs.Alpha, _runs.Beta, _runs.Branch], outDir, CPU);

        var names = new[] { "psnr_y", "ssim_y", "shift_err", "shift_err_interior", "phase_err", "psnr_rgb", "ssim_rgb" }.Select(m => $"val_{m}.png")
            .Concat(result.Data.Losses.Select(l => $"train_{l}.png"));
        foreach (var name in names)
        {
            var path = Path.Combine(outDir, name);
            Assert.True(new FileInfo(path).Length > 10_000, $"{name} is suspiciously small");
            using var image = Image.Load<Rgb24>(path);
            Assert.Equal((new ReportOptions().PlotWidth, new ReportOptions().PlotHeight), (image.Width, image.Height));
        }
        Assert.False(File.Exists(Path.Combine(outDir, "val_vgg_dist.png")));

        // Grid: LQ, bicubic, three runs, HQ; the 96×96 validation image's LQ is 24 px (under the 48 px crop), so each
        // cell is the whole image and the last column is the HQ image itself, pixel for pixel.
        Assert.Equal(["LQ (nearest)", "bicubic", "alpha", "beta", "alpha-from10-translational", "HQ"], result.Grid.Columns);
        // The image's name once; the rows under it say what they show, the difference row with the gain it used.
        Assert.Equal("chelsea_val", result.Grid.Rows[0]);
        Assert.Equal("center zoomed ×3", result.Grid.Rows[1]);
        var gainMatch = System.Text.RegularExpressions.Regex.Match(result.Grid.Rows[2], @"^difference to alpha ×(\d+) \(white: the same, black: differs most\)$");
        Assert.True(gainMatch.Success, result.Grid.Rows[2]);
        Assert.Equal(3, result.Grid.Rows.Count);
        using (var grid = Image.Load<Rgb24>(Path.Combine(outDir, "grid.png")))
        using (var hq = Image.Load<Rgb24>(_runs.ValImage))
        {
            // Below the label strip (one or two lines of text): three rows (crop, zoom, difference) of 96-px cells, 4-px gaps.
            int header = grid.Height - 3 * (96 + 4);
            Assert.Contains(header, new[] { 6 + 16, 6 + 2 * 16 });
            Assert.Equal(4 + 6 * (96 + 4), grid.Width);
            int x0 = 4 + 5 * (96 + 4);
            for (int y = 0; y < 96; y += 7)
                for (int x = 0; x < 96; x += 5)
                {
                    Assert.Equal(hq[x, y], grid[x0 + x, header + y]);
                    // The zoom row repeats each pixel of the center 32×32 three times.
                    Assert.Equal(hq[32 + x / 3, 32 + y / 3], grid[x0 + x, header + 100 + y]);
                }
            // The difference row: the first run is the reference (blank), the others are grey levels, dark where they
            // differ; amplified so the largest differences (1% of the pixels) are black, not a nearly black cell.
            int alphaX = 4 + 2 * (96 + 4), betaX = 4 + 3 * (96 + 4), diffY = header + 200;
            Assert.Equal(new Rgb24(255, 255, 255), grid[alphaX + 40, diffY + 40]);
            var d = grid[betaX + 40, diffY + 40];
            Assert.True(d.R == d.G && d.G == d.B, $"difference pixel {d} is not grey");
            var levels = new List<int>();
            for (int y = 0; y < 96; y++)
                for (int x = 0; x < 96; x++)
                    levels.Add(grid[betaX + x, diffY + y].R);
            levels.Sort();
            Assert.True(levels[levels.Count / 100] <= 2, $"the darkest 1% is at level {levels[levels.Count / 100]}, not black");
            Assert.True(levels[levels.Count / 2] > 40, $"the median difference is at level {levels[levels.Count / 2]}: the map is nearly black");
            // The label strip has dark text pixels on white (needs a font under /usr/share/fonts: fonts-dejavu-core).
            int dark = 0;
            for (int y = 0; y < header; y++)
                for (int x = 0; x < grid.Width; x++)
                    if (grid[x, y].R < 100) dark++;
            Assert.True(dark > 50, $"only {dark} dark pixels in the label strip: no font?");
        }

        var md = File.ReadAllText(result.MarkdownPath);
        foreach (var run in new[] { "alpha", "beta", "alpha-from10-translational" }) Assert.Contains($"| {run} |", md);
        foreach (var m in result.Data.ValMetrics)
        {
            Assert.Contains($"### {m} ", md);
            Assert.Contains($"![{m}](val_{m}.png)", md);
        }
        Assert.Contains("![outputs](grid.png)", md);
        Assert.Contains("| bicubic |", md);
        var s = result.Data.Summaries("psnr_y");
        Assert.Contains($"| beta | {s[1].Final.Value.ToString("F3", CultureInfo.InvariantCulture)} ({Total}) | ", md);
        Assert.Contains((s[1].DeltaFinal >= 0 ? "+" : "") + s[1].DeltaFinal!.Value.ToString("F3", CultureInfo.InvariantCulture), md);
    }

    [Fact]
    public void Load_Throws_WhenRunHasNoValidationYet()
    {
        var dir = Path.Combine(_runs.Root, "runs", "fresh");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(_runs.Alpha, "config.yml"), Path.Combine(dir, "config.yml"), overwrite: true);
        File.WriteAllLines(Path.Combine(dir, "metrics.jsonl"), File.ReadLines(Path.Combine(_runs.Alpha, "metrics.jsonl")).Where(l => l.Contains("\"kind\":\"train\"")));
        var e = Assert.Throws<SrTrainException>(() => ReportData.Load([_runs.Alpha, dir + "/"]));
        Assert.Equal($"{dir} has no validation metrics yet (metrics.jsonl has no \"val\" lines); train past val.val_freq first", e.Message);
    }

    [Fact]
    public void Load_Throws_WhenFolderIsNotARun()
    {
        var dir = Path.Combine(_runs.Root, "not-a-run");
        Directory.CreateDirectory(dir);
        var e = Assert.Throws<SrTrainException>(() => ReportData.Load([dir]));
        Assert.Contains("not a run folder", e.Message);
        var missing = Path.Combine(_runs.Root, "missing");
        Assert.Contains("no such folder", Assert.Throws<SrTrainException>(() => ReportData.Load([missing])).Message);
    }

    [Fact]
    public async Task Cli_ReportCommand_WritesReport_AndDefaultsOutputToReportFolder()
    {
        var outDir = NewOutDir();
        Assert.Equal(CliApp.ExitOk, await CliApp.RunAsync(["report", _runs.Alpha, "-o", outDir, "--device", "cpu", "--threads", "1"]));
        Assert.True(File.Exists(Path.Combine(outDir, "report.md")));
        Assert.Equal(CliApp.ExitUserError, await CliApp.RunAsync(["report", Path.Combine(_runs.Root, "missing"), "-o", NewOutDir()]));
        // An existing report is replaced only with --overwrite.
        Assert.Equal(CliApp.ExitUserError, await CliApp.RunAsync(["report", _runs.Alpha, "-o", outDir, "--device", "cpu"]));

        var parse = CliApp.BuildRoot().Parse(["report", "runs/x"]);
        Assert.Empty(parse.Errors);
        Assert.Equal("report", parse.GetValue<string>("--output"));
    }
}
