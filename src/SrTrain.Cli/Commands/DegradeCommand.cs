using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Training;
using TorchSharp;

namespace SrTrain.Cli.Commands;

/// <summary>`srtrain degrade`: writes the (GT, LQ) training pairs a config's training sees at a step, as PNG, with a
/// draws.jsonl line per pair (its Real-ESRGAN draws, its step's batch draws, the source image and the pool origin), to
/// look at what the degradation makes before training on it.</summary>
public static class DegradeCommand
{
    /// <summary>The file of draws written beside the pairs.</summary>
    public const string DrawsFile = "draws.jsonl";

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static Command Build()
    {
        var config = new Option<FileInfo>("--config", "-c") { Description = "YAML config (its datasets.train section is used)", Required = true };
        var set = SharedOptions.Set();
        var step = new Option<long>("--step") { Description = "The training step whose batch is written (0 = the first)", DefaultValueFactory = _ => 0 };
        var count = new Option<int?>("--count", "-n")
        {
            Description = "Pairs to write (default: one batch, batch_size); more than a batch continues with the next steps",
        };
        var output = new Option<string>("--output", "-o") { Description = "Output folder (created if missing)", Required = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing pair files and draws.jsonl (otherwise refused before any work)" };
        var cmd = new Command("degrade",
            "Write the (GT, LQ) pairs training would see at --step as PNG files step<N>_<i>_gt.png and step<N>_<i>_lq.png, and " +
            "draws.jsonl: one JSON line per pair with its source image, its pool origin (step and index) and, with " +
            "datasets.train.realesrgan, its sample draws and its origin step's batch draws. Exit code 0, or 2 on a usage error")
        {
            config, set, step, count, output, overwrite,
        };
        cmd.SetAction(parse => CliApp.Run(parse, ctx =>
        {
            long first = parse.GetValue(step);
            if (first < 0) throw new SrTrainException($"--step {first}: must be 0 or more");
            string path = parse.GetValue(config)!.FullName;
            var sets = parse.GetValue(set) ?? [];
            if (!File.Exists(path)) throw new SrTrainException($"--config {path}: file not found");
            var c = ConfigLoader.Bind([ConfigLoader.ReadYamlFile(path), .. sets.Select(ConfigLoader.SetOverride)],
                sets.Length > 0 ? path + " with --set" : path, note => ctx.Log.Information("{Note}", note));
            c = ConfigPaths.ExpandHome(c);
            int n = parse.GetValue(count) ?? c.Datasets.Train.BatchSize;
            if (n < 1) throw new SrTrainException($"--count {n}: must be at least 1");
            string dir = parse.GetValue(output)!;
            bool replace = parse.GetValue(overwrite);
            int b = c.Datasets.Train.BatchSize;
            var names = Enumerable.Range(0, n).Select(k => Name(first + k / b, k % b)).ToList();
            foreach (var name in names.SelectMany(x => new[] { x + "_gt.png", x + "_lq.png" }).Append(DrawsFile))
                CliApp.RefuseExisting(Path.Combine(dir, name), replace, "them, or another -o folder");
            // Built (and so checked) before the folder is made: bad settings leave nothing behind.
            var schedule = Translational.TranslationalSchedule.From(c.Losses);
            var pipeline = PipelineTrainingData.PipelineAt(c, first, ctx.Log);
            bool active = schedule.IsActive(first);
            Directory.CreateDirectory(dir);
            var lines = new StringBuilder();
            for (long s = first; s <= first + (n - 1) / b; s++)
            {
                // The translational term may switch on between steps: the pipeline of each step as training builds it.
                if (schedule.IsActive(s) != active) pipeline = PipelineTrainingData.PipelineAt(c, s, ctx.Log);
                active = schedule.IsActive(s);
                using var scope = torch.NewDisposeScope();
                using var batch = pipeline.GetBatch(s);
                for (int i = 0; i < b && (s - first) * b + i < n; i++)
                {
                    string name = Name(s, i);
                    ImageFile.WriteRgb(batch.Hq[i], Path.Combine(dir, name + "_gt.png"));
                    ImageFile.WriteRgb(batch.Lq[i], Path.Combine(dir, name + "_lq.png"));
                    lines.Append(Line(s, i, batch.Samples[i])).Append('\n');
                }
            }
            File.WriteAllText(Path.Combine(dir, DrawsFile), lines.ToString(), new UTF8Encoding(false));
            CliApp.WriteOutput($"{n} pair(s) of step {first}{(n > b ? $"-{first + (n - 1) / b}" : "")} written to {dir} (and {DrawsFile})");
            return CliApp.ExitOk;
        }));
        return cmd;
    }

    static string Name(long step, int index) => string.Create(CultureInfo.InvariantCulture, $"step{step:D6}_{index:D3}");

    static string Line(long step, int index, SampleInfo info)
    {
        var o = info.Origin;
        var record = new DrawsLine(step, index, info.Image, o?.Step ?? step, o?.Index ?? index, info.HqTop, info.HqLeft,
            info.HFlip, info.VFlip, info.Transpose, info.Draws, info.BatchDraws);
        return JsonSerializer.Serialize(record, Json);
    }

    /// <summary>One line of draws.jsonl.</summary>
    sealed record DrawsLine(long Step, int Index, string Image, long OriginStep, int OriginIndex, int HqTop, int HqLeft,
        bool HFlip, bool VFlip, bool Transpose, Degradation.SampleDraws? Sample, Degradation.BatchDraws? Batch);
}
