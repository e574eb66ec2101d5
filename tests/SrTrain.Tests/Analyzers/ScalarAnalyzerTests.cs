using Microsoft.CodeAnalysis;
using SrTrain.Analyzers;
using static SrTrain.Tests.Analyzers.AnalyzerHarness;

namespace SrTrain.Tests.Analyzers;

/// <summary>SRT001 (implicit Scalars) and SRT002 (TorchSharp members that make a Scalar inside). Each snippet marks the
/// lines that must get a diagnostic with "// => ID"; every other line must get none.</summary>
public class ScalarAnalyzerTests
{
    [Fact]
    public void ImplicitScalarArguments_AreReported()
    {
        Check("""
            class C {
                Tensor F(Tensor t, Tensor u) {
                    var a = t.mul(0.5);            // => SRT001
                    var b = t.clamp(0, 1);         // => SRT001 SRT001
                    var c = t.clamp_min(1e-8f);    // => SRT001
                    var d = t.add(u, 1);           // => SRT001
                    var e = t.pow(2L);             // => SRT001
                    return a;
                }
            }
            """);
    }

    [Fact]
    public void ImplicitScalarLocalsReturnsAndArrays_AreReported()
    {
        Check("""
            class C {
                Scalar F() {
                    Scalar s = 2.0;                // => SRT001
                    var arr = new Scalar[] { 1 };  // => SRT001
                    return true;                   // => SRT001
                }
            }
            """);
    }

    [Fact]
    public void StaticReadonlyScalarFieldInitializer_IsAllowed()
    {
        Check("""
            static class Scalars {
                public static readonly Scalar Half = 0.5;
                public static readonly Scalar One = 1.0.ToScalar();
                public static readonly Scalar Eps = 1e-8, Two = 2;
            }
            class C {
                static Scalar Mutable = 0.5;              // => SRT001
                readonly Scalar instance = 0.5;           // => SRT001
                Tensor F(Tensor t) => t.mul(Scalars.Half).add(t, Scalars.One);
            }
            """);
    }

    [Fact]
    public void LambdaInStaticReadonlyFieldInitializer_IsReported()
    {
        Check("""
            class C {
                static readonly Func<Tensor, Tensor> Halve = x => x.mul(0.5);  // => SRT001
                static readonly Func<Scalar> Make = () => 3;                   // => SRT001
            }
            """);
    }

    [Fact]
    public void ExplicitScalars_AreAllowed()
    {
        Check("""
            class C {
                Tensor F(Tensor t, double w) {
                    using var s = w.ToScalar();
                    var a = t.mul(s);
                    var b = t.mul((Scalar)0.25);
                    return a.mul(b);
                }
            }
            """);
    }

    [Fact]
    public void TensorPlusTensor_AndAddWithoutAlpha_AreReported()
    {
        Check("""
            class C {
                static readonly Scalar One = 1.0;
                Tensor F(Tensor t, Tensor u) {
                    var a = t + u;                 // => SRT002
                    var b = t.add(u);              // => SRT002
                    t.add_(u);                     // => SRT002
                    var c = torch.add(t, u);       // => SRT002
                    var d = t.add(One);            // => SRT002
                    t += u;                        // => SRT002
                    var e = t.add(u, One);
                    t.add_(u, One);
                    var f = torch.add(t, u, One);
                    return a;
                }
            }
            """);
    }

    [Fact]
    public void SubtractionMultiplicationAndDivisionOfTensors_MakeNoScalar_ButScalarMinusTensorDoes()
    {
        Check("""
            class C {
                static readonly Scalar Two = 2.0;
                Tensor F(Tensor t, Tensor u) {
                    var a = t - u;
                    var b = t.sub(u);
                    t.sub_(u);
                    var c = torch.sub(t, u);
                    var d = t * u / u;
                    var e = t.mul(Two).div(Two).sub(Two);
                    var f = Two - t;               // => SRT002
                    var g = t - Two;
                    return a;
                }
            }
            """);
    }

    [Fact]
    public void TensorNumberOperators_AreReported()
    {
        Check("""
            class C {
                Tensor F(Tensor t) {
                    var a = t * 0.5;               // => SRT002
                    var b = 1 - t;                 // => SRT002
                    var c = t / 2;                 // => SRT002
                    var d = t + 1f;                // => SRT002
                    t -= 0.5;                      // => SRT002
                    return a;
                }
            }
            """);
    }

    [Fact]
    public void ReadingAValueThroughToScalar_IsReported_ButItemIsNot()
    {
        Check("""
            class C {
                double F(Tensor t) {
                    float a = t.ToSingle();        // => SRT002
                    double b = (double)t;          // => SRT002
                    double c = t.ToDouble();       // => SRT002
                    return a + b + c + t.item<float>() + t.square().item<double>();  // => SRT002
                }
            }
            """);
    }

    [Fact]
    public void ModulesAndOptimizersThatMakeScalars_AreReportedWhereCreated()
    {
        Check("""
            using TorchSharp.Modules;
            class C {
                void F(Tensor t, IEnumerable<Parameter> ps) {
                    var act = torch.nn.LeakyReLU(0.2);                         // => SRT002
                    var y = torch.nn.functional.leaky_relu(t, 0.2);            // => SRT002
                    var bn = torch.nn.BatchNorm2d(8);                          // => SRT002
                    var opt = torch.optim.Adam(ps, 1e-4);                      // => SRT002
                    var conv = torch.nn.Conv2d(3, 8, 3);
                    var relu = torch.nn.ReLU();
                    var z = torch.nn.functional.relu(conv.forward(t));
                }
            }
            """);
    }

    [Fact]
    public void EveryListedMember_ExistsInTorchSharp()
    {
        // The IL scan's keys must be spelled as the analyzer spells them, or the list silently matches nothing.
        var compilation = Compile("class C { }");
        var torchSharp = compilation.References
            .Select(compilation.GetAssemblyOrModuleSymbol).OfType<IAssemblySymbol>().Single(a => a.Name == "TorchSharp");
        var keys = new HashSet<string>();
        void Visit(INamespaceOrTypeSymbol s)
        {
            foreach (var m in s.GetMembers())
            {
                if (m is INamespaceOrTypeSymbol inner) Visit(inner);
                else if (m is IMethodSymbol method) keys.Add(ScalarAnalyzer.Key(method));
            }
        }
        Visit(torchSharp.GlobalNamespace);
        var missing = ScalarHazardList.Members.Where(k => !keys.Contains(k)).ToList();
        Assert.True(missing.Count == 0, "not found in TorchSharp: " + string.Join(", ", missing));
        Assert.Contains("TorchSharp.torch+Tensor|add(Tensor)", ScalarHazardList.Members);
        Assert.DoesNotContain("TorchSharp.torch+Tensor|sub(Tensor)", ScalarHazardList.Members);
    }

    [Fact]
    public void MessagesSayHowToFix()
    {
        var messages = Messages("""
            class C { Tensor F(Tensor t, Tensor u) => (t + u).mul(0.2); }
            """);
        Assert.Contains(messages, m => m.StartsWith("SRT001") && m.Contains("0.2") && m.Contains("long-lived Scalar"));
        Assert.Contains(messages, m => m.StartsWith("SRT002") && m.Contains("add(other, One)"));
    }

    [Fact]
    public async Task WithoutTorchSharp_NothingIsReported()
    {
        var compilation = Compile("class C { double F(double x) => x * 0.5 + 1; }", withUsings: false);
        var analyzers = System.Collections.Immutable.ImmutableArray.Create<Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer>(new ScalarAnalyzer(), new DeviceAnalyzer());
        Assert.Empty(await Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzerExtensions.WithAnalyzers(compilation, analyzers).GetAnalyzerDiagnosticsAsync());
    }

    [Fact]
    public void AllRulesAreErrors()
    {
        Assert.All(new ScalarAnalyzer().SupportedDiagnostics.Concat(new DeviceAnalyzer().SupportedDiagnostics),
            d => Assert.Equal(DiagnosticSeverity.Error, d.DefaultSeverity));
    }
}
