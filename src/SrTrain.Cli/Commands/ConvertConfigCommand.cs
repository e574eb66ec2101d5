using System.CommandLine;
using System.Text;
using SrTrain.Config;

namespace SrTrain.Cli.Commands;

/// <summary>`srtrain convert-config basicsr.yml`: writes a BasicSR / traiNNer-redux option file in SrTrain's names,
/// without the settings SrTrain cannot follow, and lists those at the top of the file and in the log, so nothing is
/// dropped unseen. `train` reads BasicSR names directly; this is for files with settings it must refuse.</summary>
public static class ConvertConfigCommand
{
    public static Command Build()
    {
        var input = new Argument<FileInfo>("file") { Description = "A BasicSR option file (e.g. options/train/ESRGAN/train_ESRGAN_x4.yml)" };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Where to write the SrTrain config (default: print it)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output file" };
        var cmd = new Command("convert-config", "Write a BasicSR option file as an SrTrain config, listing the settings it could not map")
        {
            input, output, overwrite,
        };
        cmd.SetAction(parse => CliApp.Run(parse, ctx =>
        {
            var path = parse.GetValue(input)!.FullName;
            var outFile = parse.GetValue(output);
            CliApp.RefuseExisting(outFile?.FullName, parse.GetValue(overwrite));
            var t = BasicSrOptions.Translate(ConfigLoader.ReadYamlFile(path));
            // What is written must load: unknown keys and wrong types are reported here, not at the next `train`.
            ConfigLoader.Bind(t.Tree, path + " (converted)");
            var sb = new StringBuilder();
            sb.AppendLine($"# SrTrain config converted from {path} by `srtrain convert-config`.");
            foreach (var u in t.Unsupported) sb.AppendLine($"# NOT CONVERTED: {u}");
            foreach (var i in t.Ignored) sb.AppendLine($"# ignored (no effect in SrTrain): {i}");
            sb.Append(ConfigWriter.ToYaml(t.Tree));
            if (outFile is null)
            {
                // Printed alone, so `convert-config x.yml > y.yaml` gives a clean file; the comments list what was left out.
                CliApp.WriteOutput(sb.ToString());
            }
            else
            {
                if (outFile.DirectoryName is { } dir) Directory.CreateDirectory(dir);
                File.WriteAllText(outFile.FullName, sb.ToString());
                foreach (var u in t.Unsupported) ctx.Log.Warning("Not converted: {Setting}", u);
                if (t.Renamed.Count > 0) ctx.Log.Information("Renamed: {Renamed}", string.Join(", ", t.Renamed));
                ctx.Log.Information("Wrote {Path} ({Count} setting(s) not converted)", outFile.FullName, t.Unsupported.Count);
            }
            return CliApp.ExitOk;
        }));
        return cmd;
    }
}
