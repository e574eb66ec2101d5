using System.CommandLine;

namespace SrTrain.Cli.Commands;

public static class UpscaleCommand
{
    public static Command Build()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Image files, folders or globs", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("upscale", "Upscale images with a trained model") { inputs };
        cmd.SetAction(parse => CliApp.Run(parse, ctx => throw new SrTrainException("upscale: not available yet in this build")));
        return cmd;
    }
}
