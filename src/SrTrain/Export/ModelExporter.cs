using Serilog;
using SrTrain.Checkpoints;
using SrTrain.Interop;
using SrTrain.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Export;

// Public (the application's types are internal): xunit theories in the tests take it as a parameter.
/// <summary>The file formats <c>srtrain export</c> writes.</summary>
public enum ExportFormat
{
    /// <summary>An ONNX model written by SrTrain (ONNX Runtime, TensorRT, NCNN converters, chaiNNer's ONNX nodes).</summary>
    Onnx,
    /// <summary>A flat safetensors state dict with BasicSR's key names (spandrel/chaiNNer, ComfyUI, BasicSR).</summary>
    Safetensors,
    /// <summary>A torch.save file holding <c>{'params_ema': state_dict}</c>, as BasicSR and Real-ESRGAN release them.</summary>
    Pth,
}

/// <summary>Writes a generator (any file <c>srtrain upscale</c> takes) in another program's format. The generator is
/// loaded as <c>upscale</c> loads it (architecture detected from the keys, weights checked against the network), so
/// the exported file computes what <c>upscale</c> computes. Nothing is written under the output's name until the
/// whole file is: it is written beside it first and renamed.</summary>
internal static class ModelExporter
{
    /// <summary>The ONNX opset written without <c>--opset</c> (what traiNNer-redux and neosr write too), and the range
    /// accepted.</summary>
    public const int DefaultOpset = OnnxExport.DefaultOpset, MinOpset = OnnxExport.MinOpset, MaxOpset = OnnxExport.MaxOpset;

    /// <exception cref="SrTrainException"><paramref name="opset"/> is outside what SrTrain writes.</exception>
    public static void CheckOpset(int opset)
    {
        if (opset is < MinOpset or > MaxOpset)
            throw new SrTrainException($"--opset {opset}: SrTrain writes opsets {MinOpset} to {MaxOpset} (default {DefaultOpset})");
    }

    /// <summary>The format a file name implies (.onnx, .safetensors, .pth/.pt), or null.</summary>
    public static ExportFormat? FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".onnx" => ExportFormat.Onnx,
        ".safetensors" => ExportFormat.Safetensors,
        ".pth" or ".pt" => ExportFormat.Pth,
        _ => null,
    };

    public static string Extension(ExportFormat format) => format switch
    {
        ExportFormat.Onnx => ".onnx",
        ExportFormat.Safetensors => ".safetensors",
        _ => ".pth",
    };

    /// <summary>The output name when none is given: the run's name and checkpoint step for a checkpoint's
    /// <c>net_g_ema.pth</c>, else the weight file's own name, with the format's extension (and <c>_fp16</c> for
    /// half precision), in the current folder.</summary>
    public static string DefaultOutputName(string weightsPath, ExportFormat format, bool half)
    {
        string stem = Path.GetFileNameWithoutExtension(weightsPath);
        if (Path.GetFileName(weightsPath) == CheckpointFiles.GeneratorEmaPth)
        {
            // runs/<name>/checkpoints/<step>/net_g_ema.pth
            var stepDir = Path.GetDirectoryName(Path.GetFullPath(weightsPath));
            var runDir = stepDir is null ? null : Path.GetDirectoryName(Path.GetDirectoryName(stepDir));
            if (stepDir is not null && runDir is not null)
                stem = $"{Path.GetFileName(runDir)}_{Path.GetFileName(stepDir)}";
        }
        return stem + (half ? "_fp16" : "") + Extension(format);
    }

    /// <summary>Exports the generator in <paramref name="weightsPath"/> to <paramref name="outputPath"/>.</summary>
    /// <param name="half">float16 weights (and, for ONNX, float16 input and output).</param>
    /// <param name="opset">The ONNX opset (ONNX only).</param>
    /// <returns>The architecture that was written.</returns>
    /// <exception cref="SrTrainException">The file is not a generator SrTrain can load, or the output cannot be
    /// written; nothing is left under <paramref name="outputPath"/> then.</exception>
    public static GeneratorSpec Export(string weightsPath, ExportFormat format, string outputPath, bool half, int opset, ILogger log)
    {
        if (format == ExportFormat.Onnx) CheckOpset(opset);
        using var scope = torch.NewDisposeScope();
        using var net = NetworkFactory.LoadGenerator(weightsPath, out var spec);
        log.Information("Model {Path}: {Arch} x{Scale}, {Feat} features, {Blocks} blocks", weightsPath, spec.Arch, spec.Scale, spec.NumFeat, spec.NumBlock);
        var sd = net.state_dict();
        switch (format)
        {
            case ExportFormat.Onnx:
                var bytes = new MemoryStream();
                OnnxExport.Write(bytes, spec, sd, half, opset);
                WriteAtomically(outputPath, bytes);
                break;
            case ExportFormat.Safetensors:
            case ExportFormat.Pth:
                // WeightFile.Write picks the format from the extension; the caller has made them agree.
                var typed = half ? sd.ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float16)) : (IReadOnlyDictionary<string, Tensor>)sd;
                WeightFile.Write(typed, outputPath, PthWrapping.ParamsEma);
                // spandrel (chaiNNer, ComfyUI) detects ESRGAN and Compact from these key names but has no MSRResNet.
                if (spec.Arch == GeneratorSpec.MsrResNet)
                    log.Warning("chaiNNer, ComfyUI and other spandrel-based programs have no MSRResNet and will refuse this file " +
                                "(BasicSR and SrTrain load it); for them, export --format onnx");
                break;
        }
        log.Information("Wrote {Path} ({Format}{Precision}, {Bytes:N0} bytes)", outputPath, format.ToString().ToLowerInvariant(),
            half ? ", fp16" : "", new FileInfo(outputPath).Length);
        return spec;
    }

    static void WriteAtomically(string path, MemoryStream content)
    {
        string tmp = path + ".tmp-" + Environment.ProcessId;
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir != null) Directory.CreateDirectory(dir);
            using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write))
            {
                content.Position = 0;
                content.CopyTo(f);
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SrTrainException($"cannot write {path}: {e.Message}");
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
