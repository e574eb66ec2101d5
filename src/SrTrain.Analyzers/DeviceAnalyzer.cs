using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace SrTrain.Analyzers;

/// <summary>
/// Issue 13: a tensor made without a device lives on the CPU, and on CUDA the first op that mixes it with the
/// model's tensors fails ("Expected all tensors to be on the same device"). SRT003 asks every factory call in
/// <c>torch</c> to say where its tensor goes, unless the code is marked <c>[HostTensors]</c>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DeviceAnalyzer : DiagnosticAnalyzer
{
    public const string NoDeviceId = "SRT003";
    public const string HostTensorsAttributeName = "SrTrain.HostTensorsAttribute";

    /// <summary>torch.* factories that make a new tensor from nothing. The *_like ones take their input's device.</summary>
    internal static readonly ImmutableHashSet<string> Factories = ImmutableHashSet.Create(
        "tensor", "zeros", "ones", "full", "arange", "empty", "rand", "randn", "randint", "randperm",
        "from_array", "eye", "linspace", "logspace");

    public static readonly DiagnosticDescriptor NoDevice = new DiagnosticDescriptor(
        NoDeviceId,
        "Tensor factory without a device",
        "torch.{0}(...) without a device: argument makes a CPU tensor, which fails on CUDA as soon as it meets the " +
        "model's tensors. Pass device: (e.g. the input's x.device), or mark the method or class [HostTensors(\"why\")] " +
        "if this tensor is meant to stay on the host.",
        "Reliability",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Calls to torch.tensor, zeros, ones, full, arange, empty, rand, randn, randint, randperm, " +
                     "from_array, eye, linspace and logspace whose device parameter is left out or passed as null " +
                     "(every overload of these has one). zeros_like, ones_like, empty_like, rand_like, ... are not " +
                     "checked: they take their input's device. Code that makes host-side tensors on purpose (image " +
                     "decoding, file I/O, tests of CPU-only paths) opts out with [SrTrain.HostTensors(reason)] on the " +
                     "method, property, or any enclosing class.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(NoDevice);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var torch = start.Compilation.GetTypeByMetadataName("TorchSharp.torch");
            if (torch == null) return;
            var host = start.Compilation.GetTypeByMetadataName(HostTensorsAttributeName);
            start.RegisterOperationAction(c => OnInvocation(c, torch, host), OperationKind.Invocation);
        });
    }

    private static void OnInvocation(OperationAnalysisContext c, INamedTypeSymbol torch, INamedTypeSymbol? host)
    {
        var op = (IInvocationOperation)c.Operation;
        var m = op.TargetMethod;
        if (!m.IsStatic || !SymbolEqualityComparer.Default.Equals(m.ContainingType, torch) || !Factories.Contains(m.Name)) return;

        var device = op.Arguments.FirstOrDefault(a => a.Parameter?.Name == "device");
        if (device != null && device.ArgumentKind == ArgumentKind.Explicit && !IsNull(device.Value)) return;
        if (host != null && IsHostSide(c.ContainingSymbol, host)) return;
        c.ReportDiagnostic(Diagnostic.Create(NoDevice, op.Syntax.GetLocation(), m.Name));
    }

    private static bool IsNull(IOperation value)
    {
        while (value is IConversionOperation conv && conv.IsImplicit) value = conv.Operand;
        return value.ConstantValue.HasValue && value.ConstantValue.Value == null;
    }

    private static bool IsHostSide(ISymbol symbol, INamedTypeSymbol host)
    {
        for (ISymbol? s = symbol; s != null; s = s.ContainingSymbol)
        {
            if (s is INamespaceSymbol) return false;
            if (Has(s, host)) return true;
            if (s is IMethodSymbol method && method.AssociatedSymbol != null && Has(method.AssociatedSymbol, host)) return true;
        }
        return false;
    }

    private static bool Has(ISymbol s, INamedTypeSymbol host) =>
        s.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, host));
}
