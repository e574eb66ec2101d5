using System.CommandLine;
using SrTrain.Evaluation;
using SrTrain.Inference;
using SrTrain.Models;
using SrTrain.Runtime;
using TorchSharp;

namespace SrTrain.Cli.Commands;

public static class EvalCommand
{
    public static Command Build()
    {
        var model = new Option<string[]>("--model", "-m")
        {
            Description = "A run folder (its latest checkpoint), a checkpoint folder, or a .pth/.safetensors generator file; give several " +
                          "(--model a --model b, or --model a b) to compare them in one table. Default: the most recent run under --runs-dir",
            AllowMultipleArgumentsPerToken = true,
        };
        var data = new Option<DirectoryInfo>("--data") { Description = "Folder of HQ images (searched recursively)", Required = true };
        var lq = new Option<DirectoryInfo?>("--lq")
        {
            Description = "Folder of matching LQ images (same names); default: made from HQ by MATLAB bicubic downscaling, rounded to 8 bits",
        };
        var scale = new Option<int?>("--scale") { Description = "Upscaling factor; must match the model's (default: the model's)" };
        var vgg16 = new Option<FileInfo?>("--vgg16") { Description = "torchvision VGG-16 weights (vgg16-397923af.pth) for the perceptual distance" };
        var csv = new Option<FileInfo?>("--csv") { Description = "Also write the table as CSV" };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON" };
        var cropBorder = new Option<int?>("--crop-border") { Description = "Border cropped before PSNR-Y/SSIM-Y (default: the scale); RGB metrics use the whole image" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing --csv/--json files (otherwise they are refused before any work)" };
        var runsDir = SharedOptions.RunsDirOption("--model");
        var shiftK = new Option<int>("--shift-k") { Description = "Shift (LQ pixels) of the shift-consistency error", DefaultValueFactory = _ => 3 };
        var cmd = new Command("eval",
            "Measure a model on a folder of images: PSNR/SSIM on Y (border cropped) and RGB as BasicSR computes them, the VGG " +
            "perceptual distance (with --vgg16) and the shift-consistency error, per image and on average, beside bicubic " +
            "upscaling. Prints a table; --csv/--json write files. Exit code 0, or 2 on a usage error")
        {
            model, data, lq, scale, vgg16, csv, json, cropBorder, shiftK, overwrite, runsDir,
        };
        cmd.SetAction(parse => CliApp.Run(parse, ctx =>
        {
            using var interrupt = new Interrupt(ctx.Log);
            foreach (var f in new[] { parse.GetValue(csv), parse.GetValue(json) })
                CliApp.RefuseExisting(f?.FullName, parse.GetValue(overwrite), "it, or another file name");
            var given = parse.GetValue(model) ?? [];
            var runs = SharedOptions.RunsDir(parse, runsDir);
            string?[] models = given.Length == 0 ? new string?[] { null } : given; // none given: the most recent run
            var resolved = models.Select(m => ModelResolver.Resolve(m, runs, ctx.Log)).ToArray();
            foreach (var r in resolved) ctx.Log.Information("Model: {Model}", r.Description);
            var device = DeviceSelector.Select(ctx.Device, ctx.Threads, ctx.Log);
            var upscalers = new List<Upscaler>();
            try
            {
                for (int i = 0; i < resolved.Length; i++)
                    upscalers.Add(ModelResolver.Load(resolved[i], path => Upscaler.Load(path, device, ctx.Log), ctx.Log, out resolved[i]));
                if (upscalers.Select(u => u.Scale).Distinct().Count() > 1)
                    throw new SrTrainException("--model: the models upscale by different factors (" +
                                               string.Join(", ", resolved.Select((r, i) => $"{r.Description} x{upscalers[i].Scale}")) + "); compare models of one scale");
                return Evaluate(parse, ctx, interrupt, resolved, given, upscalers, device);
            }
            finally
            {
                foreach (var u in upscalers) u.Dispose();
            }
        }));
        return cmd;

        int Evaluate(ParseResult parse, CommandContext ctx, Interrupt interrupt, ResolvedModel[] resolved, string[] given, List<Upscaler> upscalers, torch.Device device)
        {
            var upscaler = upscalers[0];
            int s = parse.GetValue(scale) ?? upscaler.Scale;
            if (s != upscaler.Scale)
                throw new SrTrainException($"--scale {s}: the model upscales x{upscaler.Scale}; leave --scale out or give {upscaler.Scale}");
            int border = parse.GetValue(cropBorder) ?? s;
            if (border < 0) throw new SrTrainException($"--crop-border {border}: must be 0 or more");
            int k = parse.GetValue(shiftK);
            if (k < 1) throw new SrTrainException($"--shift-k {k}: must be at least 1");
            // As in training validation: a shift off RRDBNet x2/x1's unshuffle grid would measure the architecture's phase
            // (with several models: the coarsest grid, which the others' divide).
            int multiple = upscalers.Max(u => u.Multiple);
            if (InputPadding.ShiftOnGrid(k, multiple) is var onGrid && onGrid != k)
            {
                ctx.Log.Information("--shift-k {K} is off the model's {Multiple}-pixel grid; measuring at {Shift}", k, multiple, onGrid);
                k = onGrid;
            }

            using var vgg = parse.GetValue(vgg16) is { } vggFile ? NetworkFactory.LoadVgg16(vggFile.FullName, Evaluation.PerceptualDistance.Layers.Keys) : null;
            vgg?.to(device);
            var dataDir = parse.GetValue(data)!.FullName;
            // Named after what the user gave (the run, run@step or file), one model as several; none given: the run used.
            var labels = Labels(given.Length > 0 ? given : resolved.Select(r => r.WeightsPath).ToArray());
            var models = upscalers.Select((u, i) => (labels[i], (Func<torch.Tensor, torch.Tensor>)u.Run)).ToList();
            var report = EvalRunner.RunFolder(dataDir, parse.GetValue(lq)?.FullName, models, new EvalOptions(s, border, k), vgg, device, ctx.Log, interrupt.Token);
            CliApp.WriteOutput(report.FormatTable());
            if (parse.GetValue(csv) is { } csvFile) Write(csvFile.FullName, report.ToCsv(), ctx);
            if (parse.GetValue(json) is { } jsonFile) Write(jsonFile.FullName, report.ToJson(string.Join(", ", resolved.Select(r => r.WeightsPath)), dataDir), ctx);
            return CliApp.ExitOk;
        }
    }

    /// <summary>Table names for several models: the run or file name the user gave, made unique.</summary>
    static string[] Labels(string[] given)
    {
        var labels = given.Select(g =>
        {
            var trimmed = g.TrimEnd('/', '\\');
            var name = Path.GetFileName(trimmed);
            var parent = Path.GetFileName(Path.GetDirectoryName(trimmed) ?? "");
            // runs/<name>/checkpoints/<step> (or a file in it) → <name>@<step>; a run folder → its name; a weight file → its stem.
            if (parent == "checkpoints") return $"{Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(trimmed)) ?? "")}@{name}";
            var grandparent = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(trimmed)) ?? "");
            if (grandparent == "checkpoints" && File.Exists(trimmed))
                return $"{Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(trimmed))) ?? "")}@{parent}";
            return File.Exists(trimmed) ? Path.GetFileNameWithoutExtension(trimmed) : name;
        }).ToArray();
        for (int i = 0; i < labels.Length; i++)
            if (labels.Count(l => l == labels[i]) > 1) labels[i] = $"{labels[i]}#{i + 1}";
        return labels;
    }

    static void Write(string path, string text, CommandContext ctx)
    {
        try
        {
            var dir = Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            File.WriteAllText(path, text);
            ctx.Log.Information("Wrote {Path}", path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SrTrainException($"cannot write {path}: {e.Message}");
        }
    }
}
