using SrTrain.Config;
using SrTrain.Runtime;
using SrTrain.Training;
using static TorchSharp.torch;

namespace SrTrain.Tests.Training;

public class LrScheduleAndEmaTests
{
    public LrScheduleAndEmaTests() => NativeRuntime.EnsureLoaded();

    [Fact]
    public void MultiStep_HalvesAtEachMilestone_AfterLinearWarmup()
    {
        var s = new LrSchedule(new SchedulerConfig { Type = SchedulerType.MultiStep, Milestones = new long[] { 10, 20 }, Gamma = 0.5, WarmupSteps = 4 }, 1.0, 100);
        Assert.Equal(0.25, s.At(0), 12);
        Assert.Equal(1.0, s.At(3), 12);
        Assert.Equal(1.0, s.At(9), 12);
        Assert.Equal(0.5, s.At(10), 12);
        Assert.Equal(0.25, s.At(20), 12);
    }

    [Fact]
    public void Cosine_GoesFromBaseToEtaMin()
    {
        var s = new LrSchedule(new SchedulerConfig { Type = SchedulerType.Cosine, EtaMin = 0.1 }, 1.0, 100);
        Assert.Equal(1.0, s.At(0), 12);
        Assert.Equal(0.55, s.At(50), 12);
        Assert.Equal(0.1, s.At(100), 12);
    }

    [Fact]
    public void Ema_MovesTowardsTheWeights_ByOneMinusDecay()
    {
        var model = nn.Linear(2, 1);
        var ema = nn.Linear(2, 1);
        var flat = new FlatParameters(model, withGrad: true);
        var e = new Ema(model, flat, ema, 0.9);
        using (no_grad())
        {
            foreach (var p in model.parameters()) p.add_(1.0);
        }
        var before = ema.weight!.clone();
        e.Update();
        // ema = 0.9·old + 0.1·(old + 1) = old + 0.1
        Assert.True(allclose(ema.weight!, before + 0.1, 1e-6, 1e-6));
        Assert.False(ema.weight!.requires_grad);
    }
}
