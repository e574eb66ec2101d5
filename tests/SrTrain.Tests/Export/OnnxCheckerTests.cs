using System.Diagnostics;
using SrTrain.Export;
using SrTrain.Tests.Support;
using Xunit.Abstractions;
using static SrTrain.Tests.Export.ExportHarness;

namespace SrTrain.Tests.Export;

/// <summary>The ONNX project's own checker (<c>onnx.checker.check_model(..., full_check=True)</c>, which also runs
/// strict shape inference) on every exported architecture, when Debian's python3-onnx is installed (scripts/test.sh
/// installs it, as it installs Open MPI; the test is skipped, not passed, without it).</summary>
[Trait("Speed", "process")]
public sealed class OnnxCheckerTests : IDisposable
{
    readonly ITestOutputHelper _log;
    readonly TempDir _dir = new("srtrain-export-checker");

    public OnnxCheckerTests(ITestOutputHelper log) => _log = log;

    public void Dispose() => _dir.Dispose();

    [PythonOnnxFact]
    public void EveryArchitecture_PassesOnnxChecker_InFp32AndFp16()
    {
        var files = new List<string>();
        foreach (var (type, scale) in AllArchitectures)
        {
            var pth = SaveGenerator(_dir.File($"{type}_x{scale}.pth"), type, scale);
            foreach (bool half in new[] { false, true })
            {
                var onnx = _dir.File($"{type}_x{scale}{(half ? "_fp16" : "")}.onnx");
                ModelExporter.Export(pth, ExportFormat.Onnx, onnx, half, ModelExporter.DefaultOpset, Serilog.Core.Logger.None);
                files.Add(onnx);
            }
        }
        const string script =
            "import sys, onnx\n" +
            "for p in sys.argv[1:]:\n" +
            "    m = onnx.load(p)\n" +
            "    onnx.checker.check_model(m, full_check=True)\n" +
            "    meta = {e.key: e.value for e in m.metadata_props}\n" +
            "    print(p.rsplit('/', 1)[-1], 'ok', 'ir', m.ir_version, 'opset', m.opset_import[0].version, meta['architecture'], meta['scale'], meta['precision'])\n";
        var (code, output) = Python(["-c", script, .. files]);
        _log.WriteLine(output);
        Assert.True(code == 0, output);
        Assert.Equal(files.Count, output.Split('\n').Count(l => l.Contains(" ok ir 8 opset 17 ")));
    }

    internal static (int Code, string Output) Python(params string[] args)
    {
        var psi = new ProcessStartInfo(PythonOnnxFactAttribute.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }
}

/// <summary>A fact that runs only where /usr/bin/python3 imports onnx (Debian's python3-onnx).</summary>
public sealed class PythonOnnxFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    static readonly bool Available = Probe();

    public PythonOnnxFactAttribute()
    {
        if (!Available) Skip = $"{Python} cannot import onnx: apt-get install python3-onnx (scripts/test.sh does)";
    }

    static bool Probe()
    {
        if (!File.Exists(Python)) return false;
        try
        {
            var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("import onnx");
            using var p = Process.Start(psi)!;
            p.WaitForExit(30_000);
            return p.HasExited && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }
}
