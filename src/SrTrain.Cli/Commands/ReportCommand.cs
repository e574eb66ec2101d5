using System.CommandLine;
using SrTrain.Reporting;
using SrTrain.Runtime;

namespace SrTrain.Cli.Commands;

public static class ReportCommand
{
    public static Command Build()
    {
        var runs = new Argument<string[]>("runs") { Description = "Run folders (runs/<name>); the first is the one the others are compared with", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "Folder for the plots, the image grid and report.md", DefaultValueFactory = _ => "report" };
        var smoothing = new Option<double>("--smoothing") { Description = "Moving-average weight of the loss curves, in [0, 1) (0 = raw)", DefaultValueFactory = _ => 0.6 };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing report in the output folder (otherwise it is refused)" };
        var cmd = new Command("report", "Compare runs: PNG plots of the validation metrics and training losses, an image grid of their outputs, and report.md")
        {
            runs, output, smoothing, overwrite,
        };
        cmd.SetAction(parse => CliApp.Run(parse, ctx =>
        {
            CliApp.RefuseExisting(Path.Combine(parse.GetValue(output)!, RunReport.MarkdownName), parse.GetValue(overwrite),
                "the report, or another -o folder");
            var device = DeviceSelector.Select(ctx.Device, ctx.Threads, ctx.Log);
            var options = new ReportOptions { Smoothing = parse.GetValue(smoothing) };
            RunReport.Write(parse.GetValue(runs)!, parse.GetValue(output)!, device, options, ctx.Log);
            return CliApp.ExitOk;
        }));
        return cmd;
    }
}
