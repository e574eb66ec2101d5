using System.CommandLine;
using SrTrain.Config;
using SrTrain.Distributed;
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
        var set = SetOption();
        var cmd = new Command("train", "Train a generator (and discriminator) from a config; writes runs/<name>/ with checkpoints, metrics and logs")
        {
            config, name, seed, autoResume, set,
        };
        cmd.SetAction(parse => CliApp.Run(parse, ctx =>
        {
            using var interrupt = new Interrupt(ctx.Log);
            var request = new TrainRequest(parse.GetValue(config)!.FullName, parse.GetValue(name), parse.GetValue(autoResume), parse.GetValue(seed),
                parse.GetValue(set) ?? []);
            var result = TrainingLauncher.Train(request, Runtime(ctx), interrupt.Token);
            return result.Interrupted ? CliApp.ExitInterrupted : CliApp.ExitOk;
        }));
        return cmd;
    }

    /// <summary>BasicSR's --force_yml: any config key, any number of times, applied after the file(s).</summary>
    internal static Option<string[]> SetOption() => new("--set")
    {
        Description = "Override a config key: --set train.total_steps=1000 (value as YAML: --set train.scheduler.milestones=[500,800]); may be repeated",
    };

    /// <summary>--runs-dir, for the commands that take the most recently written run when <paramref name="named"/> is not
    /// given. Its default is the config's <c>runs_dir</c> default, so a run trained with another <c>runs_dir</c> is found by
    /// giving the same folder here.</summary>
    internal static Option<string> RunsDirOption(string named) => new("--runs-dir")
    {
        Description = $"Folder of run folders to take the most recently written run from when {named} is not given: the runs_dir " +
                      $"of the config you trained with (default: {new SrTrainConfig().RunsDir})",
        DefaultValueFactory = _ => new SrTrainConfig().RunsDir,
    };

    /// <summary>The value of <see cref="RunsDirOption"/>, with <c>~</c> expanded as in a config.</summary>
    internal static string RunsDir(ParseResult parse, Option<string> option) => ConfigPaths.Expand(parse.GetValue(option)!);

    /// <summary>Joins the job when started by mpirun or srun (several processes); rank 0 alone writes the run's log file.</summary>
    internal static LaunchContext Runtime(CommandContext ctx)
    {
        var ranks = ProcessGroup.Start(RankEnvironment.Detect(), ctx.Log);
        return new(ctx.Device, ctx.Threads, ctx.Log, ranks.IsRoot ? ctx.LogFile.Open : _ => { }, ranks);
    }
}
