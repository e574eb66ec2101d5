using static SrTrain.Tests.Analyzers.AnalyzerHarness;

namespace SrTrain.Tests.Analyzers;

/// <summary>SRT003: torch factories must say which device their tensor goes to, unless marked [HostTensors].</summary>
public class DeviceAnalyzerTests
{
    [Fact]
    public void FactoriesWithoutDevice_AreReported()
    {
        Check("""
            class C {
                static readonly Scalar Ten = 10;
                void F() {
                    var a = torch.zeros(3);                                  // => SRT003
                    var b = torch.ones(2, 3);                                // => SRT003
                    var c = torch.tensor(new float[] { 1, 2 });              // => SRT003
                    var d = torch.randn(4);                                  // => SRT003
                    var e = torch.empty(new long[] { 1, 2 });                // => SRT003
                    var f = torch.eye(3);                                    // => SRT003
                    var g = torch.from_array(new float[] { 1 });             // => SRT003
                    var h = torch.linspace(0, 1, 5);                         // => SRT003
                    var i = torch.full(new long[] { 2 }, Ten);               // => SRT003
                    var j = torch.randint(10, new long[] { 2 });             // => SRT003
                }
            }
            """);
    }

    [Fact]
    public void FactoriesWithDevice_AndLikeFactories_AreAllowed()
    {
        Check("""
            class C {
                void F(Tensor x, Device dev) {
                    var a = torch.zeros(3, device: x.device);
                    var b = torch.tensor(new float[] { 1, 2 }, device: dev);
                    var c = torch.randn(new long[] { 4 }, ScalarType.Float32, dev);
                    var d = torch.zeros_like(x);
                    var e = torch.ones_like(x);
                    var f = torch.empty_like(x);
                    var g = torch.rand_like(x);
                }
            }
            """);
    }

    [Fact]
    public void DeviceNull_IsReported()
    {
        Check("""
            class C {
                void F() {
                    var a = torch.zeros(3, device: null);                    // => SRT003
                }
            }
            """);
    }

    [Fact]
    public void HostTensorsAttribute_OptsOut_ForMethodClassAndProperty()
    {
        Check("""
            class C {
                [HostTensors("decoded image, moved to the device by the caller")]
                Tensor Decode() {
                    Func<Tensor> later = () => torch.zeros(3);
                    return torch.tensor(new byte[] { 1 });
                }

                [HostTensors("a CPU-only statistic")]
                Tensor Stat => torch.ones(1);

                Tensor NotMarked() => torch.ones(1);                         // => SRT003

                [HostTensors("file I/O")]
                class Loader {
                    Tensor Load() => torch.zeros(1);
                    class Inner { Tensor Load() => torch.zeros(1); }
                }
            }
            """);
    }
}
