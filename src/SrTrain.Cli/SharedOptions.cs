using System.CommandLine;
using SrTrain.Config;
using SrTrain.Distributed;
using SrTrain.Training;

namespace SrTrain.Cli;

/// <summary>The options more than one command takes, defined once: the three every command takes (on the root,
/// Recursive: they may stand after the command name), with their value checks attached where they are made, and the
/// ones train, resume, degrade, eval and export share.</summary>
internal static class SharedOptions
{
    public static readonly Option<string> Device = Accepting(new Option<string>("--device")
    {
        Description = "Where to compute: auto (CUDA when available, else CPU), cpu or cuda",
        DefaultValueFactory = _ => "auto",
        Recursive = true,
    }, "auto", "cpu", "cuda");

    public static readonly Option<int> Threads = NotNegative(new Option<int>("--threads")
    {
        Description = "CPU threads for libtorch (0 = all cores; more than the cores are capped to them)",
        DefaultValueFactory = _ => 0,
        Recursive = true,
    });

    public static readonly Option<string> LogLevel = Accepting(new Option<string>("--log-level")
    {
        Description = "verbose, debug, information, warning or error",
        DefaultValueFactory = _ => "information",
        Recursive = true,
    }, "verbose", "debug", "information", "warning", "error");

    /// <summary>BasicSR's --force_yml: any config key, any number of times, applied after the file(s).</summary>
    internal static Option<string[]> Set() => new("--set")
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

    static Option<string> Accepting(Option<string> option, params string[] values)
    {
        option.AcceptOnlyFromAmong(values);
        return option;
    }

    static Option<int> NotNegative(Option<int> option)
    {
        // -1 once meant all cores silently; only 0 does.
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 0) r.AddError($"{option.Name} {r.GetValueOrDefault<int>()}: must be 0 (all cores) or a positive number");
        });
        return option;
    }
}
