using System.CommandLine;
using SrTrain.Training;

namespace SrTrain.Cli.Commands;

public static class TrainCommand
{
    public static Command Build()
    {
        var config = new Option<FileInfo>("--config", "-c") { Description = "YAML config (see configs/quickstart.yaml)", Required = true };
        var name = new Option<string?>("--name") { Description = "Run name (default: the config's name); the run folder is runs/<name>" };
        var seed = new Option<int?>("--seed") { Description = "Override the config's seed (weights' initialisation and the data order)" };
        var autoResume = new Option<bool>("--auto-resume") { Description = "If the run folder exists, resume it from its latest checkpoint instead of refusing" };
        var set = SharedOptions.Set();
        var cmd = new Command("train", "Train a generator (and discriminator) from a config; writes runs/<name>/ with checkpoints, metrics and logs")
        {
            config, name, seed, autoResume, set,
        };
        cmd.SetAction(parse => CliApp.Run(parse, ctx =>
        {
            using var interrupt = new Interrupt(ctx.Log);
            var request = new TrainRequest(parse.GetValue(config)!.FullName, parse.GetValue(name), parse.GetValue(autoResume), parse.GetValue(seed),
                parse.GetValue(set) ?? []);
            var result = TrainingLauncher.Train(request, SharedOptions.Runtime(ctx), interrupt.Token);
            return result.Interrupted ? CliApp.ExitInterrupted : CliApp.ExitOk;
        }));
        return cmd;
    }
}
