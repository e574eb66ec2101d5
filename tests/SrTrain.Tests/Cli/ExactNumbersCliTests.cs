using SrTrain.Checkpoints;
using SrTrain.Runs;
using SrTrain.Tests.Support;
using static TorchSharp.torch;

namespace SrTrain.Tests.Cli;

/// <summary>Configs and files a user hands the real program whose numbers must come out as BasicSR's, or be refused in
/// one line (issue 22's numerical audit).</summary>
[Trait("Speed", "process")]
public class ExactNumbersCliTests
{
    [Fact]
    public void Train_WithNoGeneratorLossUntilTheGanStarts_SaysSo_AndTrainsFromThere()
    {
        // Pixel weight 0 and the GAN from step 5: steps 0–4 have no loss at all. This crashed with "element 0 of tensors
        // does not require grad" (exit 3) at step 0.
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("nolossyet", "val: {val_freq: 0}\nlogger: {print_freq: 10}\nlosses: {gan: {weight: 0.01, start_step: 5}}\n", totalSteps: 10);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg, "--set", "losses.pixel.weight=0");
        Assert.True(code == 0, output);
        Assert.Contains("No loss is active before step 5 (losses.*.weight and start_step): steps 0–4 update no weight", output);
        Assert.Contains("Finished at step 10", output);
        // The logged means are over the steps that computed each loss (5), not over the log's 10 steps.
        var train = MetricsLog.Read(Path.Combine(t.RunsDir, "nolossyet")).Single(r => r.Kind == "train" && r.Step == 10);
        Assert.Equal(0.0, train.Values["d_skipped"]);
        Assert.InRange(train.Values["l_d"], 0.3, 1.0);   // BCE-type losses near log 2 for an untrained D, not halved by 10/5
    }

    [Fact]
    public void Resume_FromACheckpointTensorOfAnotherShape_IsRefused_EvenWhenItWouldBroadcast()
    {
        // body.0.bias of shape [1] in net_g.pt (the manifest re-signed, as an edited checkpoint would be): copy_ loaded it
        // into the network's [8] as 7,7,7,… and training went on. PyTorch's load_state_dict refuses a size mismatch.
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("shapes", "val: {val_freq: 0}\n", totalSteps: 2);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg);
        Assert.True(code == 0, output);
        var ckpt = Path.Combine(t.RunsDir, "shapes", "checkpoints", "2");
        var netG = Path.Combine(ckpt, "net_g.pt");
        var sd = StateDictFile.Read(netG);
        Assert.Equal(new long[] { 8 }, sd["body.0.bias"].shape);
        sd["body.0.bias"] = full(new long[] { 1 }, 7f);
        StateDictFile.Write(netG, sd);
        File.WriteAllText(Path.Combine(ckpt, CheckpointManifest.FileName), CheckpointManifest.Build(2, ckpt).ToJson());

        (code, output) = CliProcess.Run(t.Dir, "resume", "--run", Path.Combine(t.RunsDir, "shapes"), "--set", "train.total_steps=4");
        Assert.Equal(2, code);
        Assert.Contains("net_g.pt: body.0.bias is [1] in the file, [8] in the network", output);
        Assert.DoesNotContain("   at ", output);
    }

    static double Softplus(double x) => Math.Log(1 + Math.Exp(x));

    [Theory]
    [InlineData("Vanilla")]
    [InlineData("LSGAN")]
    [InlineData("Hinge")]
    [InlineData("RaGAN")]
    public void LoggedDiscriminatorLoss_IsBasicSrsLdRealPlusLdFake(string type)
    {
        // The D loss of vanilla, LSGAN and hinge was halved (0.5·(real + fake)); BasicSR's SRGANModel and
        // Real-ESRGAN back-propagate l_d_real and l_d_fake in full. An untrained D's logits lie close to their mean
        // (logged as out_d_real/out_d_fake), so each term is its criterion at that mean, up to the spread (hinge: exactly,
        // it is linear for logits in (−1, 1)).
        using var t = new TrainingTestRun();
        var cfg = t.WriteConfig("ld", $"val: {{val_freq: 0}}\nlogger: {{print_freq: 1}}\nlosses: {{gan: {{type: {type}, weight: 0.01, start_step: 0}}}}\n", totalSteps: 1);
        var (code, output) = CliProcess.Run(t.Dir, "train", "--config", cfg);
        Assert.True(code == 0, output);
        var v = MetricsLog.Read(Path.Combine(t.RunsDir, "ld")).Single(r => r.Kind == "train" && r.Step == 1).Values;
        double r = v["out_d_real"], f = v["out_d_fake"];
        Assert.InRange(r, -0.9, 0.9);
        Assert.InRange(f, -0.9, 0.9);
        double expected = type switch
        {
            "Vanilla" => Softplus(-r) + Softplus(f),
            "LSGAN" => (r - 1) * (r - 1) + f * f,
            "Hinge" => (1 - r) + (1 + f),
            _ => 0.5 * Softplus(-(r - f)) + 0.5 * Softplus(f - r),    // ESRGAN's relativistic terms keep their 0.5
        };
        Assert.Equal(expected, v["l_d"], 0.02);
    }
}
