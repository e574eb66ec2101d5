using System.CommandLine;
using SrTrain.Export;
using SrTrain.Inference;
using SrTrain.Runtime;

namespace SrTrain.Cli.Commands;

public static class ExportCommand
{
    public static Command Build()
    {
        var model = new Option<string?>("--model", "-m")
        {
            Description = "What `upscale` takes: a run folder (its latest checkpoint), a checkpoint folder, or a .pth/.safetensors " +
                          "generator file. Default: the most recent run under --runs-dir",
        };
        var run = new Option<string?>("--run")
        {
            Description = "A run by folder or by name under --runs-dir (its latest checkpoint); instead of --model",
        };
        var format = new Option<string?>("--format", "-f")
        {
            Description = "onnx, safetensors or pth (default: from the -o file's extension)",
        };
        format.AcceptOnlyFromAmong("onnx", "safetensors", "pth");
        var output = new Option<string?>("--output", "-o")
        {
            Description = "The file to write (.onnx, .safetensors, .pth); default: <run>_<step> or the weight file's name, in the current folder",
        };
        var fp16 = new Option<bool>("--fp16") { Description = "Weights in float16 (ONNX: input and output too); half the size" };
        var opset = new Option<int>("--opset")
        {
            Description = $"ONNX opset, {ModelExporter.MinOpset} to {ModelExporter.MaxOpset}",
            DefaultValueFactory = _ => ModelExporter.DefaultOpset,
        };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output file (otherwise it is refused before any work)" };
        var runsDir = SharedOptions.RunsDirOption("--model or --run");
        var cmd = new Command("export",
            "Write a trained generator for other programs: ONNX (ONNX Runtime, TensorRT, chaiNNer; dynamic batch, height and " +
            "width), or .safetensors/.pth with BasicSR's key names (chaiNNer/spandrel, ComfyUI, BasicSR). Exit code 0, or 2 " +
            "on a usage error (nothing is written then)")
        {
            model, run, format, output, fp16, opset, overwrite, runsDir,
        };
        cmd.SetAction(parse => CliApp.Run(parse, ctx =>
        {
            string? given = parse.GetValue(model), runName = parse.GetValue(run);
            string runs = SharedOptions.RunsDir(parse, runsDir);
            if (given is not null && runName is not null) throw new SrTrainException("--model and --run name the model twice; give one");
            if (runName is not null && !Directory.Exists(runName))
            {
                if (!Directory.Exists(Path.Combine(runs, runName)))
                    throw new SrTrainException($"--run {runName}: no such run folder, nor {Path.Combine(runs, runName)}");
                runName = Path.Combine(runs, runName);
            }
            string? outPath = parse.GetValue(output);
            var fmt = Format(parse.GetValue(format), outPath);
            bool half = parse.GetValue(fp16);
            int ops = parse.GetValue(opset);
            if (fmt != ExportFormat.Onnx && parse.GetResult(opset) is { Implicit: false })
                throw new SrTrainException($"--opset is for --format onnx, not {fmt.ToString().ToLowerInvariant()}");
            ModelExporter.CheckOpset(ops);
            var resolved = ModelResolver.Resolve(given ?? runName, runs, ctx.Log);
            ctx.Log.Information("Model: {Model}", resolved.Description);
            outPath ??= ModelExporter.DefaultOutputName(resolved.WeightsPath, fmt, half);
            CliApp.RefuseExisting(outPath, parse.GetValue(overwrite));
            NativeRuntime.EnsureLoaded(ctx.Log);
            ModelExporter.Export(resolved.WeightsPath, fmt, outPath, half, ops, ctx.Log);
            return CliApp.ExitOk;
        }));
        return cmd;
    }

    /// <summary>--format, or the format -o's extension names; the two must agree, since readers go by the extension.</summary>
    static ExportFormat Format(string? format, string? output)
    {
        ExportFormat? named = format switch
        {
            "onnx" => ExportFormat.Onnx,
            "safetensors" => ExportFormat.Safetensors,
            "pth" => ExportFormat.Pth,
            _ => null,
        };
        ExportFormat? implied = output is null ? null : ModelExporter.FormatOf(output);
        if (named is { } n)
        {
            if (output is not null && implied != n)
                throw new SrTrainException($"-o {output}: a {format} file must end in {ModelExporter.Extension(n)}" +
                                           (n == ExportFormat.Pth ? " (or .pt)" : ""));
            return n;
        }
        if (implied is { } i) return i;
        throw new SrTrainException(output is null
            ? "export: give --format onnx, safetensors or pth (or -o FILE with one of their extensions)"
            : $"-o {output}: give --format onnx, safetensors or pth, or a file name ending in .onnx, .safetensors or .pth");
    }
}
