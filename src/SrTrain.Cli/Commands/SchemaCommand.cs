using System.CommandLine;
using SrTrain.Config;

namespace SrTrain.Cli.Commands;

/// <summary>`srtrain schema`: the config's JSON schema for editors (configs/srtrain.schema.json is this output).</summary>
public static class SchemaCommand
{
    public static Command Build()
    {
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write the schema to this file (default: print it)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output file" };
        var cmd = new Command("schema", "Print the config's JSON schema (for editor completion and checks; see configs/srtrain.schema.json)")
        {
            output, overwrite,
        };
        cmd.SetAction(parse => CliApp.Run(parse, ctx =>
        {
            var json = ConfigSchema.Generate();
            if (parse.GetValue(output) is not { } file)
            {
                CliApp.WriteOutput(json);
                return CliApp.ExitOk;
            }
            CliApp.RefuseExisting(file.FullName, parse.GetValue(overwrite));
            File.WriteAllText(file.FullName, json);
            ctx.Log.Information("Wrote {Path}", file.FullName);
            return CliApp.ExitOk;
        }));
        return cmd;
    }
}
