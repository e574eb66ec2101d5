using System.Security.Cryptography;
using SrTrain.Checkpoints;
using SrTrain.Config;
using SrTrain.Models;
using SrTrain.Runs;
using SrTrain.Tests.Support;
using SrTrain.Training;
using static TorchSharp.torch;

namespace SrTrain.Tests.Training;

/// <summary>Short real training runs on crops of real photos, through the same launcher the CLI uses.</summary>
[Trait("Speed", "slow")]
public class TrainingRunTests
{
    static List<MetricsLog.Record> Records(string runDir, string kind) => MetricsLog.Read(runDir).Where(r => r.Kind == kind).ToList();

    [Fact]
    public void PixelPhase_BeatsBicubic_ThenGanPhase_LogsEveryTerm()
    {
        using var t = new TrainingTestRun();
        // 450 pixel-only steps of a small SRVGGNetCompact beat bicubic on the validation crop (by about 0.2 dB; it
        // passes bicubic near step 330); then 20 GAN steps, the last 10 with the translational term.
        var cfg = t.WriteConfig("phases", """
            network_g: {num_feat: 16, num_block: 4}
            datasets:
              train: {batch_size: 4}
            losses:
              gan: {type: RaGAN, weight: 0.005, start_step: 450}
              translational: {weight: 1.0, shift: 2, start_step: 460}
            train:
              optim_g: {lr: 2.0e-3}
              scheduler: {milestones: [300], gamma: 0.5}
            val: {val_freq: 450}
            logger: {print_freq: 50}
            checkpoint: {save_freq: 470}
            """, totalSteps: 470);
        var result = t.Train(cfg);
        Assert.False(result.Interrupted);

        var train = Records(result.RunDir, "train");
        double firstPix = train.First().Values["l_g_pix"], lastPixOnly = train.Where(r => r.Step <= 450).Last().Values["l_g_pix"];
        Assert.True(lastPixOnly < firstPix, $"pixel loss did not go down: {firstPix} → {lastPixOnly}");

        var bicubic = Records(result.RunDir, "val_bicubic").Single();
        var afterPixelPhase = Records(result.RunDir, "val").First(r => r.Step == 450);
        Assert.True(afterPixelPhase.Values["psnr_y"] > bicubic.Values["psnr_y"],
            $"PSNR-Y after the pixel phase {afterPixelPhase.Values["psnr_y"]:F3} does not beat bicubic {bicubic.Values["psnr_y"]:F3}");

        // Before the GAN's start only the pixel term exists; at the end every term is logged.
        Assert.DoesNotContain("l_g_gan", train.First(r => r.Step == 450).Values.Keys);
        var last = train.Last();
        foreach (var key in new[] { "l_g_pix", "l_g_gan", "l_g_trans", "l_d", "lr_g", "it_per_s" })
            Assert.Contains(key, last.Values.Keys);
        Assert.Contains("l_g_trans", last.Values.Keys);
        var val = Records(result.RunDir, "val").Last();
        foreach (var key in new[] { "psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "shift_err" })
            Assert.True(double.IsFinite(val.Values[key]), key);

        // The run folder holds what the README promises.
        Assert.True(File.Exists(Path.Combine(result.RunDir, "config.yml")));
        Assert.True(File.Exists(Path.Combine(result.RunDir, "run.json")));
        Assert.True(File.Exists(Path.Combine(result.RunDir, "checkpoints", "470", CheckpointFiles.GeneratorEmaPth)));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(result.RunDir, "val_images", "450"), "*.png"));
    }

    const string GanAndTranslational = """
        losses:
          gan: {type: RaGAN, weight: 0.01, start_step: 10}
          translational: {weight: 1.0, shift: 2, start_step: 15}
        train:
          scheduler: {type: MultiStep, milestones: [25], gamma: 0.5}
        """;

    [Fact]
    public void TrainingNSteps_ThenResuming_EqualsTraining2NStraight()
    {
        using var t = new TrainingTestRun();
        var straight = t.Train(t.WriteConfig("straight", GanAndTranslational, totalSteps: 40));

        var first = t.Train(t.WriteConfig("split", GanAndTranslational, totalSteps: 20));
        Assert.Equal(20, first.FinalStep);
        var more = Path.Combine(t.Dir, "more.yaml");
        File.WriteAllText(more, "train:\n  total_steps: 40\n");
        var second = t.Resume(first.RunDir, overrides: more);
        Assert.Equal(first.RunDir, second.RunDir); // same losses, latest checkpoint: continues in place
        Assert.Equal(40, second.FinalStep);

        var config = ConfigLoader.LoadFile(Path.Combine(straight.RunDir, "config.yml"));
        foreach (var file in new[] { CheckpointFiles.Generator, CheckpointFiles.GeneratorEma, CheckpointFiles.Discriminator })
        {
            var a = Load(config, file, Path.Combine(straight.RunDir, "checkpoints", "40", file));
            var b = Load(config, file, Path.Combine(second.RunDir, "checkpoints", "40", file));
            foreach (var (k, v) in a)
                Assert.True(v.eq(b[k]).all().item<bool>(), $"{file}: {k} differs between the straight and the resumed run");
        }
    }

    [Fact]
    public void Branching_FromAnOlderStep_LeavesTheParentUntouched_AndContinuesItsNumbering()
    {
        using var t = new TrainingTestRun();
        var parent = t.Train(t.WriteConfig("base", "", totalSteps: 40));
        var before = HashTree(parent.RunDir);

        var branch = t.Resume(parent.RunDir, from: 20, translational: true);
        Assert.Equal(Path.Combine(t.RunsDir, "base-from20-translational"), branch.RunDir);
        // The parent's files are untouched; it only learns, in checkpoints/keep, that step 20 must never be deleted.
        var after = HashTree(parent.RunDir);
        var keep = Path.Combine("checkpoints", CheckpointStore.KeepFileName);
        Assert.True(after.Remove(keep), "the branch marks its parent step in the parent's checkpoints/keep");
        Assert.Equal(before, after);
        Assert.Equal($"20  branch {branch.RunDir}\n", File.ReadAllText(Path.Combine(parent.RunDir, keep)));

        var lineage = new RunFolder(branch.RunDir).ReadLineage()!;
        Assert.Equal(parent.RunDir, lineage.ParentRun);
        Assert.Equal(20, lineage.ParentStep);
        Assert.Equal(20, lineage.TranslationalFrom);
        var records = MetricsLog.Read(branch.RunDir);
        Assert.True(records.All(r => r.Step > 20), "the branch logs only steps after the branch point, in the parent's numbering");
        Assert.Contains(records, r => r.Kind == "train" && r.Values.ContainsKey("l_g_trans"));
        var branchConfig = ConfigLoader.LoadFile(Path.Combine(branch.RunDir, "config.yml"));
        Assert.Equal(20, branchConfig.Losses.Translational.StartStep);
        Assert.Equal(1.0, branchConfig.Losses.Translational.Weight);
    }

    [Fact]
    public void ACtrlCCheckpoint_TakesNoKeepLastPlace_FromTheScheduledOnes()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("interrupted", "val: {val_freq: 0}\ncheckpoint: {save_freq: 10, keep_last: 2}\nlogger: {print_freq: 5}\n", totalSteps: 40);
        // Ctrl+C right after step 25 is logged: the loop saves checkpoint 25 and stops.
        using var cancel = new CancellationTokenSource();
        var log = new Serilog.LoggerConfiguration().WriteTo.Sink(new CancelOn("Step 25/", cancel)).CreateLogger();
        var first = TrainingLauncher.Train(new TrainRequest(cfg, null, false), new LaunchContext("cpu", 2, log, _ => { }), cancel.Token);
        Assert.True(first.Interrupted);
        Assert.Equal(25, first.FinalStep);
        var store = new CheckpointStore(Path.Combine(first.RunDir, "checkpoints"));
        Assert.Equal([10L, 20, 25], store.ListSteps());

        var second = t.Resume(first.RunDir);
        Assert.Equal(40, second.FinalStep);
        // keep_last 2 keeps the two newest scheduled checkpoints; 25 went once it was no longer the latest.
        Assert.Equal([30L, 40], store.ListSteps());
    }

    sealed class CancelOn(string text, CancellationTokenSource cancel) : Serilog.Core.ILogEventSink
    {
        public void Emit(Serilog.Events.LogEvent e)
        {
            if (e.RenderMessage().Contains(text)) cancel.Cancel();
        }
    }

    [Fact]
    public void Train_RefusesAnExistingRun_UnlessAutoResume()
    {
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("again", "", totalSteps: 20);
        var first = t.Train(cfg);
        var e = Assert.Throws<SrTrainException>(() => t.Train(cfg));
        Assert.Contains("already exists", e.Message);
        var again = TrainingLauncher.Train(new TrainRequest(cfg, null, AutoResume: true), TrainingTestRun.Context(), CancellationToken.None);
        Assert.Equal(first.RunDir, again.RunDir);
    }

    [Fact]
    public void ACorruptedCheckpointFile_GivesAClearErrorNamingIt()
    {
        using var t = new TrainingTestRun();
        var run = t.Train(t.WriteConfig("corrupt", "", totalSteps: 20));
        var file = Path.Combine(run.RunDir, "checkpoints", "20", CheckpointFiles.Generator);
        var bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<SrTrainException>(() => t.Resume(run.RunDir, from: 20));
        Assert.Contains(CheckpointFiles.Generator, e.Message);
    }

    static Dictionary<string, Tensor> Load(SrTrainConfig c, string file, string path)
    {
        nn.Module m = file == CheckpointFiles.Discriminator
            ? NetworkFactory.CreateDiscriminator(c.NetworkD, c.Datasets.Train.GtSize)
            : NetworkFactory.CreateGenerator(c.NetworkG, c.Scale);
        m.load(path);
        return m.state_dict();
    }

    static Dictionary<string, string> HashTree(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
}
