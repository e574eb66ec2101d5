using System.CommandLine;
using SrTrain.Inference;
using SrTrain.Runtime;

namespace SrTrain.Cli.Commands;

public static class UpscaleCommand
{
    public static Command Build()
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "Image files, folders (their images, not subfolders) or globs such as 'photos/*.png'",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string?>("--output", "-o")
        {
            Description = "Output folder (default: beside each input); for a single input file also an image file name",
        };
        var model = new Option<string?>("--model", "-m")
        {
            Description = "A run folder (its latest checkpoint), a checkpoint folder, or a .pth/.safetensors generator file " +
                          "(RRDBNet/ESRGAN/Real-ESRGAN, MSRResNet, SRVGGNetCompact). Default: the most recent run under runs/",
        };
        var tile = new Option<int>("--tile")
        {
            Description = "Tile size in input pixels; bounds memory for large images. 0 = the whole image at once",
            DefaultValueFactory = _ => 192,
        };
        var overlap = new Option<int>("--tile-overlap")
        {
            Description = "Context added around each tile, in input pixels (wider = closer to untiled, slower)",
            DefaultValueFactory = _ => 16,
        };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing output files (otherwise they are kept and the input is skipped)" };
        var alpha = new Option<string>("--alpha")
        {
            Description = "How transparency is upscaled: generator (as the colour, sharp edges) or bicubic",
            DefaultValueFactory = _ => "generator",
        };
        alpha.AcceptOnlyFromAmong("generator", "bicubic");
        var cmd = new Command("upscale",
            "Upscale images with a trained model. Each output keeps its input's format, grey/colour, alpha and 16-bit depth and is " +
            "named <stem>_x<scale>.<ext>. Exit code: 0 when every input was written; 2 when any input could not be read or " +
            "written, or was skipped because its output exists (the other inputs are still processed), or on a usage error " +
            "(e.g. the model cannot be found)")
        {
            inputs, output, model, tile, overlap, overwrite, alpha,
        };
        cmd.SetAction(parse => CliApp.Run(parse, ctx =>
        {
            using var interrupt = new Interrupt(ctx.Log);
            int tileSize = parse.GetValue(tile), tileOverlap = parse.GetValue(overlap);
            if (tileSize < 0) throw new SrTrainException($"--tile {tileSize}: must be 0 (untiled) or a positive number of pixels");
            if (tileOverlap < 0) throw new SrTrainException($"--tile-overlap {tileOverlap}: must be 0 or more pixels");
            var resolved = ModelResolver.Resolve(parse.GetValue(model), "runs", ctx.Log);
            ctx.Log.Information("Model: {Model}", resolved.Description);
            var device = DeviceSelector.Select(ctx.Device, ctx.Threads, ctx.Log);
            using var upscaler = Upscaler.Load(resolved.WeightsPath, device, ctx.Log);
            var plan = UpscalePlan.Build(parse.GetValue(inputs)!, parse.GetValue(output), upscaler.Scale);
            var options = new UpscaleOptions(tileSize, tileOverlap, parse.GetValue(overwrite),
                parse.GetValue(alpha) == "bicubic" ? AlphaUpscale.Bicubic : AlphaUpscale.Generator);
            var summary = BatchUpscaler.Run(plan, upscaler.Run, upscaler.Scale, options, ctx.Log, interrupt.Token);
            return summary.AllWritten ? CliApp.ExitOk : CliApp.ExitUserError;
        }));
        return cmd;
    }
}
