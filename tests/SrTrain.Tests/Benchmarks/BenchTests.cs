using SrTrain.Benchmarks;
using SrTrain.Runtime;
using SrTrain.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Tests.Benchmarks;

[Trait("Speed", "slow")]
[Collection(AloneCollection.Name)]
public class BenchTests
{
    static BenchTests() => NativeRuntime.EnsureLoaded();

    // RRDBNet x4 forward FLOPs written out from the architecture (all convs 3x3): 2·9·batch·Σ Cin·Cout·H·W.
    static double RrdbNetForwardFlops(int batch, int lq, int nf, int nb, int gc)
    {
        double macs = 3.0 * nf * lq * lq; // conv_first
        double rdb = 0;
        for (int i = 0; i < 4; i++) rdb += (double)(nf + i * gc) * gc;
        rdb += (double)(nf + 4 * gc) * nf;
        macs += nb * 3 * rdb * lq * lq; // nb RRDBs of 3 dense blocks
        macs += (double)nf * nf * lq * lq; // conv_body
        macs += (double)nf * nf * (2 * lq) * (2 * lq); // conv_up1
        macs += 2.0 * nf * nf * (4 * lq) * (4 * lq); // conv_up2, conv_hr
        macs += (double)nf * 3 * (4 * lq) * (4 * lq); // conv_last
        return 2 * 9 * batch * macs;
    }

    [Fact]
    public void FlopCounter_CountsConvAndLinear_FromTheirOutputShapes()
    {
        using var net = nn.Sequential(nn.Conv2d(3, 8, 3, stride: 2, padding: 1), nn.Flatten(), nn.Linear(8 * 8 * 8, 10));
        var layers = FlopCounter.Forward(net, x => net.call(x), new long[] { 2, 3, 16, 16 });
        Assert.Equal(2, layers.Count);
        Assert.Equal(2L * 3 * 8 * 9 * (8 * 8) * 2, layers[0].ForwardFlops); // stride 2: 8x8 outputs
        Assert.Equal("0", layers[0].Name);
        Assert.Equal(2L * 512 * 10 * 2, layers[1].ForwardFlops);
    }

    [Fact]
    public void CpuSmallNetworks_HaveThePeerScriptsParameterCounts()
    {
        // Counted on the PyTorch side by scripts/peer_srgan_step.py --params (torch 1.13): the same op graph.
        using var bench = new SrganBench(BenchPreset.CpuSmall, translational: false);
        Assert.Equal(758_755, SrganBench.CountParameters(bench.Generator));
        Assert.Equal(3_831_689, SrganBench.CountParameters(bench.Discriminator));
        Assert.Equal(14_714_688, SrganBench.CountParameters(bench.Vgg));
    }

    [Fact]
    public void StepFlops_Generator_IsForwardPlusBackward_ByTheArchitecturesFormula()
    {
        var p = BenchPreset.CpuSmall;
        double gf = RrdbNetForwardFlops(p.BatchSize, p.LqSize, p.NumFeat, p.NumBlock, p.NumGrowCh);
        double first = 2.0 * 9 * p.BatchSize * 3 * p.NumFeat * p.LqSize * p.LqSize; // conv_first: no input gradient
        using (var bench = new SrganBench(p, translational: false))
            Assert.Equal(3 * gf - first, bench.CountStepFlops().Generator, 1e-9 * gf);
        using (var trans = new SrganBench(p, translational: true))
            Assert.Equal(2 * (3 * gf - first), trans.CountStepFlops().Generator, 1e-9 * gf);
        using var infer = new InferenceBench(p);
        Assert.Equal(RrdbNetForwardFlops(1, p.InferSize, p.NumFeat, p.NumBlock, p.NumGrowCh), infer.CountFlops(), 1.0);
    }

    [Fact]
    public void StepFlops_Vgg_IsThreeForwardsOfTheThirteenConvs()
    {
        // VGG-16 convs to relu5_3 at 128 (Cin, Cout, side); forward on fake and HQ, input-gradient backward on fake.
        var convs = new (int Cin, int Cout, int Side)[]
        {
            (3, 64, 128), (64, 64, 128), (64, 128, 64), (128, 128, 64), (128, 256, 32), (256, 256, 32), (256, 256, 32),
            (256, 512, 16), (512, 512, 16), (512, 512, 16), (512, 512, 8), (512, 512, 8), (512, 512, 8),
        };
        double vf = convs.Sum(c => 2.0 * 9 * c.Cin * c.Cout * c.Side * c.Side) * BenchPreset.CpuSmall.BatchSize;
        using var bench = new SrganBench(BenchPreset.CpuSmall, translational: false);
        Assert.Equal(3 * vf, bench.CountStepFlops().Vgg, 1e-9 * vf);
    }

    [Fact]
    public void TranslationalBatch_CornersShowTheSamePixels_InTheirSharedRegions()
    {
        using var bench = new SrganBench(BenchPreset.CpuSmall, translational: true);
        Assert.Equal(144, bench.FullHqSize);
        for (int step = 0; step < 4; step++)
        {
            using var scope = NewDisposeScope();
            using var batch = bench.MakeBatch(step);
            var view = batch.SecondView!;
            Assert.NotEqual(view.MainCrop.Corner, view.Crop.Corner);
            Assert.Equal(new long[] { 4, 3, 32, 32 }, batch.Lq.shape);
            Assert.Equal(new long[] { 4, 3, 128, 128 }, batch.Hq.shape);
            Assert.Equal(new long[] { 4, 3, 32, 32 }, view.Lq.shape);
            Assert.Equal(112, view.MainRegion.Height);
            Assert.True(batch.Hq.allclose(bench.HqOf(view.MainCrop), 0, 0), $"step {step}: HQ is not the main corner");
            var a = SrTrain.Translational.TranslationalLoss.Crop(batch.Hq, view.MainRegion);
            var b = SrTrain.Translational.TranslationalLoss.Crop(bench.HqOf(view.Crop), view.Region);
            Assert.True(a.allclose(b, 0, 0), $"step {step}: shared regions differ");
        }
    }

    [Fact]
    public void BenchStep_KeepsLiveTensorCountFlat_AndChangesTheWeights()
    {
        // A tiny generator and D; VGG and D still see 128x128 as in the preset.
        var tiny = BenchPreset.CpuSmall with { Name = "tiny", NumFeat = 8, NumBlock = 1, NumGrowCh = 4, DNumFeat = 4, BatchSize = 1 };
        using var bench = new SrganBench(tiny, translational: true);
        var before = bench.Generator.parameters().First().detach().clone();
        bench.Step(0);
        bench.Step(1);
        // The count is process-wide: this test runs alone (its collection is not parallel), and the finalizers of
        // tensors that earlier tests dropped run now, not in the middle of the measurement.
        Settle();
        long live = torch.Tensor.TotalCount;
        for (int step = 2; step < 4; step++)
        {
            var losses = bench.Step(step);
            Assert.True(double.IsFinite(losses["l_g_total"]) && losses.ContainsKey("l_g_trans") && losses.ContainsKey("l_d"));
        }
        Settle();
        Assert.Equal(live, torch.Tensor.TotalCount);
        Assert.False(bench.Generator.parameters().First().allclose(before, 0, 0));
        before.Dispose();
    }

    static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [Fact]
    public void TimingStats_Percentiles_FollowNumpysLinearMethod()
    {
        var s = TimingStats.Of(Enumerable.Range(1, 10).Select(i => (double)i).Reverse().ToArray());
        Assert.Equal(5.5, s.Median, 12);
        Assert.Equal(1.9, s.P10, 12);
        Assert.Equal(9.1, s.P90, 12);
        Assert.Equal(1, s.Min);
        Assert.Equal(10, s.Max);
    }

    [Fact]
    public void ProcessMemory_PeakIsAtLeastCurrent_OnLinux()
    {
        if (!OperatingSystem.IsLinux()) return;
        long now = ProcessMemory.ResidentBytes()!.Value;
        Assert.True(now > 10 * 1024 * 1024, $"RSS {now}");
        Assert.True(ProcessMemory.PeakResidentBytes()!.Value >= now);
    }

    [Fact]
    public void ProcessMemory_TheOsApiWindowsUses_AgreesWithProc()
    {
        // On Windows the figures come from .NET's Process (GetProcessMemoryInfo); on Linux the same properties read the
        // kernel's own count, so the two sources can be compared here: the peak only rises, so a reading through the
        // Process API lies between two /proc readings taken around it.
        if (!OperatingSystem.IsLinux()) return;
        long before = ProcessMemory.PeakResidentBytes()!.Value;
        long api = ProcessMemory.FromProcess(p => p.PeakWorkingSet64)!.Value;
        long after = ProcessMemory.PeakResidentBytes()!.Value;
        Assert.InRange(api, before, after);
        Assert.True(ProcessMemory.FromProcess(p => p.WorkingSet64) > 10 * 1024 * 1024);
    }
}
