using System.Diagnostics;
using SrTrain.Config;
using SrTrain.Interop;
using SrTrain.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static SrTrain.Tests.Export.ExportHarness;

namespace SrTrain.Tests.Export;

/// <summary>The real `srtrain export` program on input it must refuse: one error line naming the file or option, exit
/// code 2, no stack trace, and no file written or changed.</summary>
[Trait("Speed", "process")]
public sealed class ExportCliTests : IDisposable
{
    readonly ITestOutputHelper _log;
    readonly TempDir _dir = new("srtrain-export-cli");

    public ExportCliTests(ITestOutputHelper log) => _log = log;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void BadInput_IsRefused_WithOneLine_ExitCode2_AndNothingWritten()
    {
        var good = SaveGenerator(_dir.File("good.pth"), GeneratorType.SRVGGNetCompact, 2);
        // A discriminator's weights: keys of no generator architecture.
        var disc = SrTrain.Tests.Models.ReferenceData.PathOf("unet_disc_sn_nf8.pth");
        // A checkpoint file without the generator: the discriminator's weights under a key no loader unwraps.
        using (torch.NewDisposeScope())
        using (var f = File.Create(_dir.File("no_generator.pth")))
            PthWriter.Write(WeightFile.Read(disc), f, "params_d");
        // A checkpoint folder without net_g_ema.pth.
        Directory.CreateDirectory(_dir.File("runs", "r", "checkpoints", "100"));
        File.WriteAllText(_dir.File("existing.onnx"), "keep me");

        (string[] Args, string Expected)[] cases =
        [
            (["--model", disc, "-o", "d.onnx"], "cannot tell the architecture"),
            (["--model", _dir.File("no_generator.pth"), "-o", "n.safetensors"], "has no tensors"),
            (["--model", _dir.File("runs", "r", "checkpoints", "100"), "-o", "c.onnx"], "neither a run folder"),
            (["--model", good, "-o", "existing.onnx"], "existing.onnx exists: give --overwrite"),
            (["--model", good, "-o", "model.bin"], "-o model.bin"),
            (["--model", good, "--format", "pth", "-o", "model.onnx"], "a pth file must end in .pth"),
            (["--model", good, "-o", "m.onnx", "--opset", "9"], "--opset 9"),
            (["--model", good, "-o", "m.pth", "--opset", "17"], "--opset is for --format onnx"),
            (["--model", good, "--run", "r"], "--model and --run"),
            (["--model", _dir.File("missing.pth"), "-o", "m.onnx"], "missing.pth: no such file"),
        ];
        var before = Snapshot();
        foreach (var (args, expected) in cases)
        {
            var sw = Stopwatch.StartNew();
            var (code, output) = CliProcess.Run(_dir.Path, ["export", .. args]);
            _log.WriteLine($"export {string.Join(' ', args.Select(Path.GetFileName))}: exit {code} in {sw.Elapsed.TotalSeconds:F1} s\n{output.Trim()}");
            Assert.Equal(2, code);
            var errors = output.Split('\n').Where(l => l.Contains(" ERR ")).ToList();
            Assert.True(errors.Count == 1, output);
            Assert.Contains(expected, errors[0]);
            Assert.DoesNotContain("   at ", output);
            Assert.Equal(before, Snapshot());
        }
    }

    [Fact]
    public void Export_Overwrites_OnlyWithOverwrite_AndNamesTheOutputAfterTheModel()
    {
        var good = SaveGenerator(_dir.File("good.pth"), GeneratorType.SRVGGNetCompact, 2);
        var (code, output) = CliProcess.Run(_dir.Path, "export", "--model", good, "--format", "onnx", "--fp16");
        Assert.True(code == 0, output);
        Assert.True(File.Exists(_dir.File("good_fp16.onnx")), output);
        File.WriteAllText(_dir.File("good.safetensors"), "old");
        (code, output) = CliProcess.Run(_dir.Path, "export", "--model", good, "--format", "safetensors", "--overwrite");
        Assert.True(code == 0, output);
        Assert.NotEqual("old", File.ReadAllText(_dir.File("good.safetensors")));
        Assert.Empty(Directory.EnumerateFiles(_dir.Path, "*.tmp*"));

        // A checkpoint folder (as `upscale --model` takes it): the file is named after the run and the step.
        var checkpoint = _dir.File("runs", "photo", "checkpoints", "300");
        Directory.CreateDirectory(checkpoint);
        File.Copy(good, Path.Combine(checkpoint, "net_g_ema.pth"));
        (code, output) = CliProcess.Run(_dir.Path, "export", "--model", checkpoint, "--format", "pth");
        Assert.True(code == 0, output);
        Assert.True(File.Exists(_dir.File("photo_300.pth")), output);
    }

    Dictionary<string, string> Snapshot() =>
        Directory.EnumerateFiles(_dir.Path, "*", SearchOption.AllDirectories)
            .ToDictionary(f => f, f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
}
