using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SrTrain.Evaluation;

/// <summary>The result of EvalRunner.Run: per image and method, then the means.</summary>
internal sealed record EvalReport(EvalOptions Options, IReadOnlyList<string> MetricNames, IReadOnlyList<EvalRow> Rows, IReadOnlyList<EvalRow> Means)
{
    public const string ModelMethod = "model";
    public const string BicubicMethod = "bicubic";

    public EvalRow Mean(string method) => Means.Single(r => r.Method == method);

    /// <summary>A fixed-width text table: one line per image and method, then the means.</summary>
    public string FormatTable()
    {
        int nameWidth = Math.Max(5, Rows.Select(r => r.Image.Length).DefaultIfEmpty(0).Max());
        int methodWidth = Math.Max(7, Rows.Select(r => r.Method.Length).DefaultIfEmpty(0).Max());
        // Each column as wide as its name (shift_err_interior is 18 characters) with two spaces before it.
        var widths = MetricNames.Select(m => Math.Max(10, m.Length + 2)).ToList();
        var sb = new StringBuilder();
        sb.Append("image".PadRight(nameWidth)).Append("  ").Append("method".PadRight(methodWidth));
        for (int i = 0; i < MetricNames.Count; i++) sb.Append(MetricNames[i].PadLeft(widths[i]));
        sb.AppendLine();
        foreach (var row in Rows.Concat(Means))
        {
            if (row.Image == "mean" && row.Method == Means[0].Method) sb.AppendLine(new string('-', nameWidth + 2 + methodWidth + widths.Sum()));
            sb.Append(row.Image.PadRight(nameWidth)).Append("  ").Append(row.Method.PadRight(methodWidth));
            for (int i = 0; i < MetricNames.Count; i++) sb.Append(Format(MetricNames[i], row.Metrics[MetricNames[i]]).PadLeft(widths[i]));
            sb.AppendLine();
        }
        return sb.ToString();
    }

    static string Format(string metric, double v) => MetricFormat.Format(metric, v);

    /// <summary>CSV: image,method,metrics...; the means last with image "mean". Full precision (round-trip format).</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder("image,method," + string.Join(",", MetricNames) + "\n");
        foreach (var row in Rows.Concat(Means))
            sb.Append(Quote(row.Image)).Append(',').Append(row.Method).Append(',')
              .Append(string.Join(",", MetricNames.Select(m => row.Metrics[m].ToString("R", CultureInfo.InvariantCulture)))).Append('\n');
        return sb.ToString();
    }

    static string Quote(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>JSON: settings, <c>images</c> (name → method → metrics) and <c>mean</c> (method → metrics). A PSNR of
    /// identical images is written as the string "Infinity".</summary>
    public string ToJson(string? model = null, string? data = null)
    {
        JsonObject Metrics(EvalRow r) => new(MetricNames.Select(m => new KeyValuePair<string, JsonNode?>(m,
            double.IsFinite(r.Metrics[m]) ? JsonValue.Create(r.Metrics[m]) : JsonValue.Create(r.Metrics[m].ToString(CultureInfo.InvariantCulture)))));
        var images = new JsonArray();
        foreach (var group in Rows.GroupBy(r => r.Image))
        {
            var o = new JsonObject { ["name"] = group.Key };
            foreach (var r in group) o[r.Method] = Metrics(r);
            images.Add(o);
        }
        var root = new JsonObject
        {
            ["model"] = model,
            ["data"] = data,
            ["scale"] = Options.Scale,
            ["crop_border"] = Options.CropBorder,
            ["shift_k"] = Options.ShiftK,
            ["images"] = images,
            ["mean"] = new JsonObject(Means.Select(r => new KeyValuePair<string, JsonNode?>(r.Method, Metrics(r)))),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
