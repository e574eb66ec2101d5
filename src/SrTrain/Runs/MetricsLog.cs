using System.Globalization;
using System.Text;
using System.Text.Json;
using SrTrain.Runtime;
using TorchSharp;

namespace SrTrain.Runs;

/// <summary>runs/&lt;name&gt;/metrics.jsonl: one JSON object per line, `{"kind": "train"|"val"|"val_bicubic", "step": N, ...}`,
/// appended and flushed as they come so a killed run loses nothing already logged; plus TensorBoard scalars and the
/// validation images. A line torn by a kill is skipped by <see cref="Read"/>.</summary>
internal sealed class MetricsLog : IDisposable
{
    public const string FileName = "metrics.jsonl";
    readonly StreamWriter _writer;
    readonly TorchSharp.Modules.SummaryWriter? _tensorboard;

    /// <param name="resumedFrom">The checkpoint step a resumed run continues from: TensorBoard events the run wrote
    /// after it (before a crash or kill) are removed, since the resumed run logs those steps again and TensorBoard would
    /// draw both.</param>
    public MetricsLog(string runDir, bool tensorboard, long? resumedFrom = null)
    {
        var path = Path.Combine(runDir, FileName);
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
        if (tensorboard)
        {
            var dir = Path.Combine(runDir, TensorBoardDir);
            if (resumedFrom is { } step) TensorBoardEvents.DropAfter(dir, step);
            _tensorboard = torch.utils.tensorboard.SummaryWriter(dir, createRunName: false);
        }
    }

    public const string TensorBoardDir = "tensorboard";

    /// <summary>Adds the validation images saved for <paramref name="step"/> (LQ | output | HQ side by side) to
    /// TensorBoard's Images tab, one series per image; nothing without TensorBoard.</summary>
    public void WriteImages(long step, string folder)
    {
        if (_tensorboard is null || !Directory.Exists(folder)) return;
        foreach (var file in Directory.EnumerateFiles(folder, "*.png").Order(StringComparer.Ordinal))
        {
            // From the PNG file itself: the tensor overload converts through a temporary Scalar (see Runtime/Scalars).
            _tensorboard.add_img($"val/{Path.GetFileNameWithoutExtension(file)}", file, (int)step);
        }
    }

    /// <summary>Adds the first <paramref name="count"/> LQ inputs of a training batch (B,3,h,w) to TensorBoard's Images
    /// tab as they are (series train_lq/0, train_lq/1, ...); nothing without TensorBoard. For synthetic degradations
    /// (datasets.train.realesrgan), to see what the generator is trained on.</summary>
    public void WriteTrainingInputs(long step, torch.Tensor lq, int count)
    {
        if (_tensorboard is null) return;
        // Through a PNG file, as the validation images (see WriteImages).
        var file = Path.Combine(Path.GetTempPath(), $"srtrain-train-lq-{Environment.ProcessId}-{Guid.NewGuid():N}.png");
        try
        {
            for (int i = 0; i < Math.Min(count, (int)lq.shape[0]); i++)
            {
                using (var one = lq[i]) Data.ImageFile.WriteRgb(one, file);
                _tensorboard.add_img($"train_lq/{i}", file, (int)step);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    public void Write(string kind, long step, IReadOnlyDictionary<string, double> values)
    {
        var sb = new StringBuilder();
        sb.Append("{\"kind\":\"").Append(kind).Append("\",\"step\":").Append(step.ToString(CultureInfo.InvariantCulture));
        foreach (var (k, v) in values)
        {
            sb.Append(",\"").Append(k).Append("\":");
            sb.Append(double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "null");
        }
        sb.Append('}');
        _writer.WriteLine(sb.ToString());
        _writer.Flush();
        if (_tensorboard != null)
            foreach (var (k, v) in values)
                if (double.IsFinite(v)) _tensorboard.add_scalar($"{kind}/{k}", (float)v, (int)step);
    }

    public sealed record Record(string Kind, long Step, Dictionary<string, double> Values, string Json);

    /// <summary>All records, in step order. A run resumed after a crash logs again the steps after its checkpoint;
    /// those lines are kept in the file (nothing written is ever removed) and the newest record of each
    /// (kind, step) wins here.</summary>
    public static List<Record> Read(string runDir)
    {
        var latest = new Dictionary<(string, long), Record>();
        foreach (var r in ReadLines(Path.Combine(runDir, FileName))) latest[(r.Kind, r.Step)] = r;
        return latest.Values.OrderBy(r => r.Step).ThenBy(r => r.Kind, StringComparer.Ordinal).ToList();
    }

    static IEnumerable<Record> ReadLines(string path)
    {
        if (!File.Exists(path)) yield break;
        Runtime.RegularFile.Require(path); // a FIFO or a device would never end
        foreach (var line in SharedRead.ReadLines(path))
        {
            Record? r = null;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                // A line that is valid JSON but not a record (`5`, `[1,2]`) is skipped like a torn one.
                if (root.ValueKind != JsonValueKind.Object) continue;
                var values = new Dictionary<string, double>();
                foreach (var p in root.EnumerateObject())
                    if (p.Value.ValueKind == JsonValueKind.Number) values[p.Name] = p.Value.GetDouble();
                values.Remove("step");
                r = new Record(root.GetProperty("kind").GetString() ?? "", root.GetProperty("step").GetInt64(), values, line);
            }
            catch (JsonException) { }
            catch (KeyNotFoundException) { }
            // "kind" or "step" of another JSON type, or a step that is not a whole number.
            catch (InvalidOperationException) { }
            catch (FormatException) { }
            if (r != null) yield return r;
        }
    }

    public void Dispose()
    {
        _writer.Dispose();
        // SummaryWriter writes each event straight to its file; it has nothing to flush or close.
    }
}
