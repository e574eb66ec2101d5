using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace SrTrain.Analyzers;

/// <summary>
/// Issue 12: a <c>TorchSharp.Scalar</c> that nothing keeps alive can be finalized by a GC on another thread while
/// libtorch still reads it (TorchSharp 0.107 passes its handle and never disposes it). SRT001 finds the ones own code
/// makes implicitly; SRT002 finds the TorchSharp members that make one inside.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ScalarAnalyzer : DiagnosticAnalyzer
{
    public const string ImplicitScalarId = "SRT001";
    public const string ScalarMakingMemberId = "SRT002";

    public static readonly DiagnosticDescriptor ImplicitScalar = new DiagnosticDescriptor(
        ImplicitScalarId,
        "Implicit conversion to TorchSharp.Scalar",
        "Implicit conversion of '{0}' to TorchSharp.Scalar: the temporary Scalar can be freed by a GC on another " +
        "thread while libtorch reads it. Use a long-lived Scalar (a static readonly Scalar field, see Runtime/Scalars) " +
        "or an explicit one kept alive for the call ('using var s = x.ToScalar();').",
        "Reliability",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Any user-defined implicit conversion whose result is TorchSharp.Scalar (double, float, int, long, " +
                     "bool, Half, ... to Scalar), wherever it happens: arguments to Scalar parameters, assignments, " +
                     "returns, array elements, compound assignments. Allowed: explicit Scalars (x.ToScalar(), a cast " +
                     "'(Scalar)x'), which say that the writer owns the object's lifetime; and an implicit conversion in " +
                     "the initializer of a static readonly Scalar field (outside any lambda), which lives as long as the " +
                     "process. An explicit Scalar passed straight to a call ('t.mul(0.5.ToScalar())') is just as " +
                     "short-lived: this rule cannot tell, so do not write that.");

#pragma warning disable RS1032 // the message's last sentence is the fix, {1}, which ends with a period
    public static readonly DiagnosticDescriptor ScalarMakingMember = new DiagnosticDescriptor(
        ScalarMakingMemberId,
        "TorchSharp member that makes a Scalar inside",
        "'{0}' makes a TorchSharp.Scalar inside TorchSharp that can be freed by a GC on another thread while libtorch " +
        "reads it. {1}",
        "Reliability",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "TorchSharp 0.107 members that create a Scalar in their own code (e.g. Tensor + Tensor calls " +
                     "add(other, 1); t * 0.5 converts 0.5; ToSingle() goes through Tensor.ToScalar()) and do not keep " +
                     "it alive across the native call. The list (ScalarHazardList.g.cs) comes from an IL scan of " +
                     "TorchSharp.dll (scripts/scalar-hazard-scan). Modules and optimizers whose forward/step do this " +
                     "are reported where they are created, since forward/step are called through base classes. " +
                     "Tensor - Tensor, sub(Tensor), sub_(Tensor), mul/div(Tensor) and every overload that takes all " +
                     "its Scalars as arguments are not flagged: they make none.");
#pragma warning restore RS1032

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(ImplicitScalar, ScalarMakingMember);

    private static readonly HashSet<string> Hazards = new HashSet<string>(ScalarHazardList.Members);

    /// <summary>Modules/optimizers (reflection names) whose forward or step makes a Scalar.</summary>
    private static readonly HashSet<string> HazardousTypes = new HashSet<string>(
        ScalarHazardList.Members
            .Select(k => k.Split('|'))
            .Where(p => p[0].StartsWith("TorchSharp.Modules.", System.StringComparison.Ordinal) &&
                        (p[1].StartsWith("forward(", System.StringComparison.Ordinal) || p[1].StartsWith("step(", System.StringComparison.Ordinal)))
            .Select(p => p[0]));

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var scalar = start.Compilation.GetTypeByMetadataName("TorchSharp.Scalar");
            if (scalar == null) return; // no TorchSharp: nothing to check
            start.RegisterOperationAction(c => OnConversion(c, scalar), OperationKind.Conversion);
            start.RegisterOperationAction(c => OnCompoundAssignment(c, scalar), OperationKind.CompoundAssignment);
            start.RegisterOperationAction(OnInvocation, OperationKind.Invocation);
            start.RegisterOperationAction(OnBinary, OperationKind.Binary);
            start.RegisterOperationAction(OnObjectCreation, OperationKind.ObjectCreation);
        });
    }

    private static void OnConversion(OperationAnalysisContext c, INamedTypeSymbol scalar)
    {
        var conv = (IConversionOperation)c.Operation;
        var method = conv.OperatorMethod;
        if (method == null) return;
        if (conv.IsImplicit && IsScalar(method.ReturnType, scalar))
        {
            if (InStaticReadonlyFieldInitializer(conv)) return;
            c.ReportDiagnostic(Diagnostic.Create(ImplicitScalar, conv.Syntax.GetLocation(), conv.Operand.Syntax.ToString()));
            return;
        }
        // (double)tensor, (float)tensor, ...: Tensor's explicit conversions go through ToScalar().
        if (Hazards.Contains(Key(method)))
            c.ReportDiagnostic(Diagnostic.Create(ScalarMakingMember, conv.Syntax.GetLocation(), Display(method), Fix(method)));
    }

    private static void OnCompoundAssignment(OperationAnalysisContext c, INamedTypeSymbol scalar)
    {
        var op = (ICompoundAssignmentOperation)c.Operation;
        foreach (var m in new[] { op.InConversion.MethodSymbol, op.OutConversion.MethodSymbol })
            if (m != null && IsScalar(m.ReturnType, scalar))
                c.ReportDiagnostic(Diagnostic.Create(ImplicitScalar, op.Syntax.GetLocation(), op.Syntax.ToString()));
        // t += 1, t -= 0.5, t += u: the operator that runs is a TorchSharp one.
        if (op.OperatorMethod != null && Hazards.Contains(Key(op.OperatorMethod)))
            c.ReportDiagnostic(Diagnostic.Create(ScalarMakingMember, op.Syntax.GetLocation(), Display(op.OperatorMethod), Fix(op.OperatorMethod)));
    }

    private static void OnBinary(OperationAnalysisContext c)
    {
        var op = (IBinaryOperation)c.Operation;
        if (op.OperatorMethod != null && Hazards.Contains(Key(op.OperatorMethod)))
            c.ReportDiagnostic(Diagnostic.Create(ScalarMakingMember, op.Syntax.GetLocation(), Display(op.OperatorMethod), Fix(op.OperatorMethod)));
    }

    private static void OnInvocation(OperationAnalysisContext c)
    {
        var op = (IInvocationOperation)c.Operation;
        var method = op.TargetMethod.ReducedFrom ?? op.TargetMethod;
        if (Hazards.Contains(Key(method)))
            c.ReportDiagnostic(Diagnostic.Create(ScalarMakingMember, op.Syntax.GetLocation(), Display(method), Fix(method)));
        else if (IsTorchSharp(method) && method.ReturnType is INamedTypeSymbol rt && HazardousModule(rt) is string name)
            c.ReportDiagnostic(Diagnostic.Create(ScalarMakingMember, op.Syntax.GetLocation(), Display(method), ModuleFix(name)));
    }

    private static void OnObjectCreation(OperationAnalysisContext c)
    {
        var op = (IObjectCreationOperation)c.Operation;
        if (op.Type is INamedTypeSymbol t && HazardousModule(t) is string name)
            c.ReportDiagnostic(Diagnostic.Create(ScalarMakingMember, op.Syntax.GetLocation(), "new " + t.Name, ModuleFix(name)));
    }

    private static bool IsScalar(ITypeSymbol type, INamedTypeSymbol scalar) =>
        SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, scalar);

    private static bool IsTorchSharp(ISymbol s) => s.ContainingAssembly?.Name == "TorchSharp";

    /// <summary>Inside the initializer of a static readonly field, and not inside a lambda or local function there.</summary>
    private static bool InStaticReadonlyFieldInitializer(IOperation op)
    {
        for (var p = op.Parent; p != null; p = p.Parent)
        {
            if (p is IAnonymousFunctionOperation || p is ILocalFunctionOperation) return false;
            if (p is IFieldInitializerOperation init)
                return init.InitializedFields.Length > 0 && init.InitializedFields.All(f => f.IsStatic && f.IsReadOnly);
        }
        return false;
    }

    private static string? HazardousModule(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? t = type; t != null; t = t.BaseType)
        {
            if (!IsTorchSharp(t)) continue;
            var name = TypeKey(t);
            if (HazardousTypes.Contains(name)) return t.Name;
        }
        return null;
    }

    private static string ModuleFix(string typeName) =>
        $"TorchSharp's {typeName} makes one on every forward/step (from its options, or a literal). " +
        "Write that part with ops that take long-lived Scalars (e.g. SrTrain's own Adam, or a leaky ReLU from " +
        "where/mul with a static Scalar).";

    private static string Fix(IMethodSymbol m)
    {
        var name = m.Name;
        var ps = m.Parameters;
        bool tensorOperands = ps.Length == 2 && ps.All(p => p.Type.Name == "Tensor");
        switch (name)
        {
            case "op_Addition" when tensorOperands:
            case "add" when ps.Length >= 1 && ps[ps.Length - 1].Type.Name == "Tensor":
            case "add_" when ps.Length >= 1 && ps[ps.Length - 1].Type.Name == "Tensor":
                return "It calls add(other, alpha: 1). Call add(other, One) / add_(other, One) with a long-lived Scalar One (or Ops.Add).";
            case "op_Subtraction" when ps[0].Type.Name == "Scalar":
                return "It calls t.negative().add(s) with a hidden alpha of 1. Write t.neg().add(s, One) with long-lived Scalars.";
            case "add":
            case "add_":
            case "op_Addition":
                return "Adding a Scalar uses a hidden alpha of 1. Call add(s, One) with long-lived Scalars s and One.";
            case "op_Subtraction":
            case "op_Multiply":
            case "op_Division":
            case "op_Modulus":
                return "The number operand becomes a Scalar inside the operator. Call sub/mul/div/remainder with a long-lived Scalar (or write Tensor - Tensor, which makes none).";
            case "op_Explicit":
            case "ToSingle":
            case "ToDouble":
            case "ToInt32":
            case "ToInt64":
            case "ToInt16":
            case "ToByte":
            case "ToSByte":
            case "ToBoolean":
            case "ToHalf":
            case "ToBFloat16":
            case "ToComplex32":
            case "ToComplex64":
            case "ToComplexFloat32":
            case "ToComplexFloat64":
                return "It reads the value through Tensor.ToScalar(). Use item<T>() instead.";
            case "square":
                return "It calls pow(2). Use t.mul(t), or pow with a long-lived Scalar.";
            case "addcdiv":
            case "addcdiv_":
                return "It uses a hidden value of 1. Pass the value as a long-lived Scalar.";
            default:
                return "Use an overload that takes every Scalar as an argument, and pass long-lived Scalars; or write it with such ops.";
        }
    }

    private static string Display(IMethodSymbol m) =>
        m.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);

    /// <summary>The key ScalarHazardList uses: reflection-style type name | name(parameter type names).</summary>
    internal static string Key(IMethodSymbol method)
    {
        var m = method.OriginalDefinition;
        if (m.ContainingType == null || !IsTorchSharp(m)) return "";
        var sb = new StringBuilder(TypeKey(m.ContainingType)).Append('|').Append(m.MetadataName.Split('`')[0]).Append('(');
        for (int i = 0; i < m.Parameters.Length; i++)
        {
            if (i > 0) sb.Append(',');
            AppendParam(sb, m.Parameters[i].Type);
        }
        return sb.Append(')').ToString();
    }

    private static string TypeKey(INamedTypeSymbol t)
    {
        var name = t.MetadataName;
        if (t.ContainingType != null) return TypeKey(t.ContainingType) + "+" + name;
        var ns = t.ContainingNamespace;
        return ns == null || ns.IsGlobalNamespace ? name : ns.ToDisplayString() + "." + name;
    }

    private static void AppendParam(StringBuilder sb, ITypeSymbol t)
    {
        switch (t)
        {
            case IArrayTypeSymbol a:
                AppendParam(sb, a.ElementType);
                sb.Append("[]");
                return;
            case INamedTypeSymbol n when n.IsGenericType:
                sb.Append(n.Name).Append('<');
                for (int i = 0; i < n.TypeArguments.Length; i++)
                {
                    if (i > 0) sb.Append(',');
                    AppendParam(sb, n.TypeArguments[i]);
                }
                sb.Append('>');
                return;
            default:
                sb.Append(t.Name);
                return;
        }
    }
}
