using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Models;
using SrTrain.Runtime;
using SrTrain.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Tests.Training;

public class SrganStepTests
{
    public SrganStepTests() => NativeRuntime.EnsureLoaded();

    static (SrganStep Step, SrVggNetCompact G, TorchSharp.Modules.Adam Opt) Make(LossesConfig losses)
    {
        manual_seed(0);
        var g = new SrVggNetCompact(3, 3, 8, 1, 4);
        var d = new UNetDiscriminatorSN(3, 4);
        var optG = optim.Adam(g.parameters(), 1e-3);
        var optD = optim.Adam(d.parameters(), 1e-3);
        return (new SrganStep(g, d, optG, optD, losses, null, 0), g, optG);
    }

    static TrainingBatch Batch(bool corners, float value = float.NaN)
    {
        manual_seed(1);
        var crop1 = TranslationalCrops.Compute(32 + 4 * 2, 4, 2, new Corner(0, 0));
        var crop2 = TranslationalCrops.Compute(32 + 4 * 2, 4, 2, new Corner(1, 1));
        var lq = rand(2, 3, 8, 8);
        if (!float.IsNaN(value)) lq[0, 0, 0, 0] = tensor(value);
        return new TrainingBatch
        {
            Step = 0, Lq = lq, Hq = rand(2, 3, 32, 32),
            Lq2 = corners ? rand(2, 3, 8, 8) : null,
            Region1 = corners ? crop1.Shared : null, Region2 = corners ? crop2.Shared : null,
            Samples = Array.Empty<SampleInfo>(),
        };
    }

    static LossesConfig Losses(double translationalWeight, int translationalStart) => new()
    {
        Gan = new GanLossConfig { Weight = 0.01, StartStep = 0 },
        Translational = new TranslationalLossConfig { Weight = translationalWeight, StartStep = translationalStart, Shift = 2 },
    };

    [Fact]
    public void TranslationalTerm_CostsNoGeneratorPass_WhenOffOrBeforeItsStart()
    {
        // Weight 0: one generator forward per step, and no l_g_trans.
        var (off, _, _) = Make(Losses(0, 0));
        var log = off.Run(5, Batch(corners: false))!;
        Assert.Equal(1, off.GeneratorForwards);
        Assert.DoesNotContain("l_g_trans", log.Keys);

        // Weight > 0 but before the start step: still one forward.
        var (later, _, _) = Make(Losses(1.0, 10));
        later.Run(9, Batch(corners: false));
        Assert.Equal(1, later.GeneratorForwards);

        // From the start step: exactly one extra forward, and the term is logged.
        var on = later.Run(10, Batch(corners: true))!;
        Assert.Equal(3, later.GeneratorForwards);
        Assert.True(on["l_g_trans"] > 0);
    }

    [Fact]
    public void NonFiniteLoss_SkipsTheStep_WithoutTouchingTheWeights()
    {
        var (step, g, _) = Make(Losses(0, 0));
        var before = g.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        Assert.Null(step.Run(0, Batch(corners: false, value: float.PositiveInfinity)));
        foreach (var (k, v) in g.state_dict())
            Assert.True(v.eq(before[k]).all().item<bool>(), k);

        // A finite batch afterwards trains normally.
        Assert.NotNull(step.Run(1, Batch(corners: false)));
        Assert.Contains(g.state_dict(), kv => !kv.Value.eq(before[kv.Key]).all().item<bool>());
    }

    [Fact]
    public void ActiveTranslationalTerm_WithoutASecondCorner_IsAnError()
    {
        var (step, _, _) = Make(Losses(1.0, 0));
        Assert.Throws<InvalidOperationException>(() => step.Run(0, Batch(corners: false)));
    }
}
