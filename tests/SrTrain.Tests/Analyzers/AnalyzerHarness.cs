using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using TorchSharp;

namespace SrTrain.Tests.Analyzers;

/// <summary>Compiles a C# snippet against TorchSharp and SrTrain and runs the SrTrain analyzers on it.</summary>
internal static class AnalyzerHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
        paths.Add(typeof(torch).Assembly.Location);
        paths.Add(typeof(HostTensorsAttribute).Assembly.Location);
        return [.. paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    });

    internal const string Usings = """
        using System;
        using System.Collections.Generic;
        using SrTrain;
        using TorchSharp;
        using static TorchSharp.torch;

        """;

    internal static CSharpCompilation Compile(string code, bool withUsings = true) =>
        CSharpCompilation.Create(
            "Snippet",
            [CSharpSyntaxTree.ParseText(withUsings ? Usings + code : code, new CSharpParseOptions(LanguageVersion.Latest), path: "Snippet.cs")],
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable));

    /// <summary>The analyzers' diagnostics as "ID@line" (line counted in <paramref name="code"/>, from 1), sorted.</summary>
    internal static string[] Diagnose(string code)
    {
        var compilation = Compile(code);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "the snippet does not compile: " + string.Join("; ", errors));
        int offset = Usings.Split('\n').Length - 1;
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new SrTrain.Analyzers.ScalarAnalyzer(), new SrTrain.Analyzers.DeviceAnalyzer());
        var diagnostics = compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        return [.. diagnostics
            .Select(d => $"{d.Id}@{d.Location.GetLineSpan().StartLinePosition.Line + 1 - offset}")
            .OrderBy(s => s, StringComparer.Ordinal)];
    }

    /// <summary>What a snippet expects: each "// => SRT001 SRT002" comment names the diagnostics on its line.</summary>
    internal static string[] Expected(string code) =>
        [.. code.Split('\n')
            .SelectMany((line, i) =>
            {
                int at = line.IndexOf("// =>", StringComparison.Ordinal);
                return at < 0 ? [] : line[(at + 5)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(id => $"{id}@{i + 1}");
            })
            .OrderBy(s => s, StringComparer.Ordinal)];

    /// <summary>Asserts that the analyzers report exactly what the snippet's "// =>" comments say.</summary>
    internal static void Check(string code)
    {
        var expected = Expected(code);
        var actual = Diagnose(code);
        Assert.True(expected.SequenceEqual(actual),
            $"expected [{string.Join(", ", expected)}] but got [{string.Join(", ", actual)}]:\n" + string.Join("\n", Messages(code)));
    }

    /// <summary>All diagnostics with their messages, for failure output.</summary>
    internal static string[] Messages(string code)
    {
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new SrTrain.Analyzers.ScalarAnalyzer(), new SrTrain.Analyzers.DeviceAnalyzer());
        return [.. Compile(code).WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult().Select(d => $"{d.Id}: {d.GetMessage()}")];
    }
}
