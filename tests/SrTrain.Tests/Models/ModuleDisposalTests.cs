using SrTrain.Models;
using SrTrain.Runtime;
using static TorchSharp.torch;

namespace SrTrain.Tests.Models;

/// <summary>Disposing a network frees the native tensors of every module inside it, as TorchVision's models do.</summary>
public class ModuleDisposalTests
{
    static ModuleDisposalTests() => NativeRuntime.EnsureLoaded();

    public static TheoryData<string> Networks() =>
        ["RrdbNet", "MsrResNet", "SrVggNetCompact", "VggStyleDiscriminator", "UNetDiscriminatorSN", "VggFeatures"];

    static nn.Module Create(string name) => name switch
    {
        "RrdbNet" => new RrdbNet(3, 3, 4, numFeat: 8, numBlock: 1, numGrowCh: 4),
        "MsrResNet" => new MsrResNet(numFeat: 8, numBlock: 1),
        "SrVggNetCompact" => new SrVggNetCompact(numFeat: 8, numConv: 1),
        "VggStyleDiscriminator" => new VggStyleDiscriminator(numFeat: 4),
        "UNetDiscriminatorSN" => new UNetDiscriminatorSN(numFeat: 4),
        "VggFeatures" => new VggFeatures(["relu1_1"]),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Dispose_FreesEverySubmodulesParametersAndBuffers(string name)
    {
        var net = Create(name);
        var tensors = net.parameters().Cast<Tensor>().Concat(net.buffers()).ToList();
        Assert.NotEmpty(tensors);
        Assert.All(tensors, t => Assert.False(t.IsInvalid));

        net.Dispose();

        Assert.All(tensors, t => Assert.True(t.IsInvalid));
        net.Dispose(); // a second dispose is harmless
    }
}
