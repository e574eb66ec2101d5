using SrTrain.Training;

namespace SrTrain.Tests.Training;

/// <summary>The ETA estimator and the rate a log line shows (issue 22, item 15), on a clock the test drives.</summary>
public class ProgressMeterTests
{
    [Fact]
    public void SecondsLeft_PricesAPhaseNotRunYet_AtTheCurrentRatePlusTheProbedExtraCost()
    {
        // 100 pixel steps left at 4 it/s, then 300 GAN steps: the probe says a GAN step's passes cost 2.5 s more.
        var probe = new Dictionary<long, double> { [-1] = 0.05, [800] = 2.55 };
        var left = ProgressMeter.SecondsLeft(700, 1100, [800], currentPhase: -1, currentRate: 4, new Dictionary<long, double>(), probe);
        Assert.Equal(100 / 4.0 + 300 * (0.25 + 2.5), left.Seconds, 9);
        Assert.True(left.Estimated);
        Assert.Empty(left.Untimed);
    }

    [Fact]
    public void SecondsLeft_UsesMeasuredRates_BeforeTheProbe_AndNamesWhatNeitherCovers()
    {
        var probe = new Dictionary<long, double> { [-1] = 0.05, [800] = 2.55 };
        var measured = new Dictionary<long, double> { [800] = 0.5 };
        // Phase 800 ran before (a resume): its measured 0.5 it/s wins over the probe; nothing is estimated.
        var left = ProgressMeter.SecondsLeft(700, 1100, [800], -1, 4, measured, probe);
        Assert.Equal(25 + 300 / 0.5, left.Seconds, 9);
        Assert.False(left.Estimated);

        // A phase the probe cannot price (perceptual from 950) is left out and named.
        left = ProgressMeter.SecondsLeft(700, 1100, [800, 950], -1, 4, new Dictionary<long, double>(), probe);
        Assert.Equal(25 + 150 * 2.75, left.Seconds, 9);
        Assert.Equal([950L], left.Untimed);
    }

    [Fact]
    public void Eta_SaysApproximately_WhileALaterPhaseIsEstimated_AndPlainOnceItIsMeasured()
    {
        double now = 0;
        var probe = new Dictionary<long, double> { [-1] = 0.0, [100] = 0.4 };
        var meter = new ProgressMeter(0, 200, new Dictionary<long, string> { [100] = "GAN" }, () => now, probe);
        now = 3; meter.Tick(1);
        for (int s = 2; s <= 50; s++) { now += 0.1; meter.Tick(s); }
        // 50 pixel steps at 0.1 s, then 100 GAN steps at 0.1 + 0.4 s.
        Assert.Equal("≈0m55s", meter.Eta(50));
        for (int s = 51; s <= 100; s++) { now += 0.1; meter.Tick(s); }
        now += 5; meter.Tick(101);
        for (int s = 102; s <= 150; s++) { now += 0.6; meter.Tick(s); }
        Assert.Equal("0m30s", meter.Eta(150));
    }

    [Fact]
    public void TheRateALogLineShows_IsTheRealAverageSinceThePreviousLine_SlowFirstStepIncluded()
    {
        double now = 10;
        var meter = new ProgressMeter(0, 1000, clock: () => now);
        now += 4; meter.Tick(1);                                   // start-up: 4 s
        for (int s = 2; s <= 100; s++) { now += 0.25; meter.Tick(s); }
        // 100 steps in 4 + 99 · 0.25 = 28.75 s: 3.48 it/s, not the 4 it/s of the steady window.
        Assert.Equal(100 / 28.75, meter.RateSinceLastReport(100), 9);
        Assert.Equal(4, meter.ItersPerSecond, 9);
        for (int s = 101; s <= 200; s++) { now += 0.5; meter.Tick(s); }
        Assert.Equal(2, meter.RateSinceLastReport(200), 9);
    }
}
