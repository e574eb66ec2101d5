using System.CommandLine;
using SrTrain.Training;

namespace SrTrain.Cli.Commands;

public static class ResumeCommand
{
    public static Command Build()
    {
        var run = new Option<DirectoryInfo?>("--run") { Description = "Run folder (default: the most recently written run under --runs-dir)" };
        var from = new Option<long?>("--from") { Description = "Checkpoint step to continue from (default: the run's latest). An older step starts a branch in a new run folder" };
        var translational = new Option<bool>("--translational") { Description = "Turn the translational consistency term on from the resume step (a branch: new run folder)" };
        var weight = new Option<double?>("--translational-weight") { Description = "Weight of the translational term with --translational (default: the config's, or 1.0 if it is 0)" };
        var overrides = new Option<FileInfo[]>("--config", "-c") { Description = "YAML overrides merged onto the run's config (changed losses start a branch)", AllowMultipleArgumentsPerToken = false };
        var name = new Option<string?>("--name") { Description = "Name of the branch's run folder (default: <name>-from<step>[-translational])" };
        var set = SharedOptions.Set();
        var runsDir = SharedOptions.RunsDirOption("--run");
        var cmd = new Command("resume", "Continue a run from a saved step, exactly; or branch it (older step, --translational, changed losses) into a new run folder")
        {
            run, from, translational, weight, overrides, name, set, runsDir,
        };
        cmd.SetAction(parse => CliApp.Run(parse, ctx =>
        {
            using var interrupt = new Interrupt(ctx.Log);
            var request = new ResumeRequest(
                parse.GetValue(run)?.FullName,
                parse.GetValue(from),
                parse.GetValue(translational),
                parse.GetValue(weight),
                (parse.GetValue(overrides) ?? Array.Empty<FileInfo>()).Select(f => f.FullName).ToArray(),
                parse.GetValue(name),
                parse.GetValue(set) ?? [],
                SharedOptions.RunsDir(parse, runsDir));
            var result = TrainingLauncher.Resume(request, SharedOptions.Runtime(ctx), interrupt.Token);
            return result.Interrupted ? CliApp.ExitInterrupted : CliApp.ExitOk;
        }));
        return cmd;
    }
}
