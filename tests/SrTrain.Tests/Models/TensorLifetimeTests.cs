using SrTrain.Models;
using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Tests.Models;

/// <summary>Training steps run inside a dispose scope; a network that leaked tensors out of its forward would grow
/// memory every step.</summary>
public class TensorLifetimeTests
{
    static TensorLifetimeTests() => NativeRuntime.EnsureLoaded();

    static void AssertFlatLiveCount(nn.Module<Tensor, Tensor> net, Tensor x)
    {
        net.train();
        void Step()
        {
            using var scope = NewDisposeScope();
            net.zero_grad();
            net.call(x).square().mean().backward();
        }
        Step(); // the first backward allocates the .grad tensors, which then live as long as the net
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++) Step();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void RrdbNet_TrainingStep_LeavesNoLiveTensors()
    {
        using var net = new RrdbNet(3, 3, 4, numFeat: 8, numBlock: 2, numGrowCh: 4);
        AssertFlatLiveCount(net, rand(1, 3, 6, 6));
        // and the graph reached every parameter
        Assert.All(net.parameters(), p => Assert.NotNull(p.grad));
    }

    [Fact]
    public void UNetDiscriminatorSN_TrainingStep_LeavesNoLiveTensors()
    {
        using var net = new UNetDiscriminatorSN(3, numFeat: 4);
        AssertFlatLiveCount(net, rand(1, 3, 16, 16));
        Assert.All(net.parameters(), p => Assert.NotNull(p.grad));
    }

    [Fact]
    public void MsrResNetAndVggDiscriminator_TrainingStep_LeaveNoLiveTensors()
    {
        using var g = new MsrResNet(3, 3, numFeat: 8, numBlock: 2, upscale: 4);
        AssertFlatLiveCount(g, rand(1, 3, 6, 6));
        using var d = new VggStyleDiscriminator(3, numFeat: 4, inputSize: 128);
        AssertFlatLiveCount(d, rand(2, 3, 128, 128));
    }

    [Fact]
    public void VggFeatures_Forward_LeavesOnlyItsResults()
    {
        using var vgg = new VggFeatures(new[] { "relu1_2", "relu2_2" });
        var x = rand(1, 3, 8, 8);
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (NewDisposeScope())
        {
            var f = vgg.call(x);
            Assert.Equal(2, f.Count);
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
