using System.CommandLine;
using SrTrain.Inference;
using SrTrain.Runtime;

namespace SrTrain.Cli.Commands;

public static class UpscaleCommand
{
    public static Command Build()
    {
        // Real-ESRGAN's inference_realesrgan.py flags are aliases where they do not clash with SrTrain's names
        // (README: "Real-ESRGAN's flags"), so a command line from its README works as typed.
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "Image files, folders (their images, not subfolders) or globs such as 'photos/*.png'",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var input = new Option<string[]>("--input", "-i")
        {
            Description = "An input as Real-ESRGAN takes it (a file or folder); may be repeated, and combined with the inputs above",
        };
        var output = new Option<string?>("--output", "-o")
        {
            Description = "Output folder (default: beside each input); for a single input file also an image file name " +
                          "(its extension sets the format; refused with several inputs, a folder or a glob)",
        };
        var model = new Option<string?>("--model", "-m", "-n", "--model_name", "--model_path", "--model-path")
        {
            Description = "A run folder (its latest checkpoint), a checkpoint folder, or a .pth/.safetensors generator file " +
                          "(RRDBNet/ESRGAN/Real-ESRGAN, MSRResNet, SRVGGNetCompact); a bare name N (Real-ESRGAN's -n) reads weights/N.pth. " +
                          "Default: the most recent run under --runs-dir",
        };
        var outscale = new Option<double?>("--outscale", "-s")
        {
            Description = "Final upscaling factor, e.g. 3.5 with an x4 model: the model's output is resized (bicubic) to the input's size " +
                          "times this (default: the model's scale)",
        };
        var suffix = new Option<string?>("--suffix")
        {
            Description = "Output names are <stem>_<suffix>.<ext> (default: x<scale>, e.g. x4 or x3.5 with --outscale); empty = <stem>.<ext>",
        };
        var ext = new Option<string>("--ext")
        {
            Description = "Output format: auto (the input's), png, jpg or webp; an image with transparency is written as PNG where jpg is asked",
            DefaultValueFactory = _ => "auto",
        };
        ext.AcceptOnlyFromAmong("auto", "png", "jpg", "jpeg", "webp");
        var tile = new Option<int>("--tile", "-t")
        {
            Description = "Tile size in input pixels; bounds memory for large images. 0 = the whole image at once",
            DefaultValueFactory = _ => 192,
        };
        var overlap = new Option<int>("--tile-overlap", "--tile-pad", "--tile_pad")
        {
            Description = "Context added around each tile, in input pixels (wider = closer to untiled, slower); Real-ESRGAN: --tile_pad",
            DefaultValueFactory = _ => 16,
        };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing output files (otherwise they are kept and the input is skipped)" };
        var alpha = new Option<string>("--alpha", "--alpha_upsampler")
        {
            Description = "How transparency is upscaled: generator (as the colour, sharp edges; Real-ESRGAN: realesrgan) or bicubic",
            DefaultValueFactory = _ => "generator",
        };
        alpha.AcceptOnlyFromAmong("generator", "realesrgan", "bicubic");
        var runsDir = SharedOptions.RunsDirOption("--model");
        var half = new Option<bool>("--half") { Description = "Compute in float16 on CUDA (Real-ESRGAN's default there); on the CPU it computes in float32 and says so" };
        var fp32 = new Option<bool>("--fp32") { Description = "Compute in float32 (the default; Real-ESRGAN's flag, accepted for its users)" };
        var cmd = new Command("upscale",
            "Upscale images with a trained model. Each output keeps its input's format, grey/colour, alpha and 16-bit depth and is " +
            "named <stem>_x<scale>.<ext>. An input whose output exists is skipped (unless --overwrite), so running a batch again " +
            "upscales only the new images. Exit code: 0 when nothing failed (every input written or skipped, the last line " +
            "counts both); 2 when any input could not be read or written (the other inputs are still processed), or on a " +
            "usage error (e.g. the model cannot be found)")
        {
            inputs, input, output, model, outscale, suffix, ext, tile, overlap, overwrite, alpha, half, fp32, runsDir,
        };
        cmd.SetAction(parse => CliApp.Run(parse, ctx =>
        {
            using var interrupt = new Interrupt(ctx.Log);
            var all = (parse.GetValue(inputs) ?? []).Concat(parse.GetValue(input) ?? []).ToList();
            if (all.Count == 0) throw new SrTrainException("upscale: no input given; name image files, folders or globs (or -i PATH)");
            int tileSize = parse.GetValue(tile), tileOverlap = parse.GetValue(overlap);
            if (tileSize < 0) throw new SrTrainException($"--tile {tileSize}: must be 0 (untiled) or a positive number of pixels");
            if (tileOverlap < 0) throw new SrTrainException($"--tile-overlap {tileOverlap}: must be 0 or more pixels");
            double? os = parse.GetValue(outscale);
            if (os is { } o && !(o > 0 && o <= 64)) throw new SrTrainException($"--outscale {o}: must be a positive factor (at most 64)");
            var extension = parse.GetValue(ext) switch { "auto" => null, "jpeg" => "jpg", var e => e };
            UpscalePlan.CheckOutput(all, parse.GetValue(output), extension);
            bool wantHalf = parse.GetValue(half);
            if (wantHalf && parse.GetValue(fp32)) throw new SrTrainException("--half and --fp32 contradict each other; give one");
            if (parse.GetValue(suffix) is { } givenSuffix) OutputNaming.CheckSuffix(givenSuffix);
            var resolved = ModelResolver.Resolve(parse.GetValue(model), SharedOptions.RunsDir(parse, runsDir), ctx.Log);
            ctx.Log.Information("Model: {Model}", resolved.Description);
            var device = DeviceSelector.Select(ctx.Device, ctx.Threads, ctx.Log);
            if (wantHalf && device.type != TorchSharp.DeviceType.CUDA)
            {
                ctx.Log.Warning("--half: float16 is for CUDA; on the CPU this computes in float32");
                wantHalf = false;
            }
            using var upscaler = ModelResolver.Load(resolved, path => Upscaler.Load(path, device, ctx.Log, wantHalf), ctx.Log, out _);
            string scaleText = (os ?? upscaler.Scale).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
            var naming = new OutputNaming(parse.GetValue(suffix) ?? $"x{scaleText}", extension);
            var plan = UpscalePlan.Build(all, parse.GetValue(output), upscaler.Scale, naming);
            var options = new UpscaleOptions(tileSize, tileOverlap, parse.GetValue(overwrite),
                parse.GetValue(alpha) == "bicubic" ? AlphaUpscale.Bicubic : AlphaUpscale.Generator, os);
            var summary = BatchUpscaler.Run(plan, upscaler.Run, upscaler.Scale, options, ctx.Log, interrupt.Token);
            return summary.NothingFailed ? CliApp.ExitOk : CliApp.ExitUserError;
        }));
        return cmd;
    }
}
