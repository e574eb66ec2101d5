using System.Runtime.InteropServices;
using Serilog;
using SkiaSharp;
using SrTrain.Checkpoints;
using SrTrain.Data;
using SrTrain.Models;
using SrTrain.Runs;
using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Reporting;

/// <summary>The same validation crops side by side: LQ (nearest), bicubic, each run's latest EMA generator, HQ; per
/// validation image three rows: the crop, its center zoomed ×<see cref="Zoom"/> (nearest, so single pixels show), and
/// with two runs or more the difference of each run to the first, dark on white, amplified so that the largest
/// differences (the 99th percentile of that image's difference cells) are black: a fixed ×8 left the small differences
/// of an A/B nearly invisible. The row names the gain used. The validation images and scale come from the first run's
/// config.yml.</summary>
internal static class ComparisonGrid
{
    public const int Zoom = 3;
    /// <summary>The difference gain's bounds: at least ×1, at most ×255 (one 8-bit level then shows fully).</summary>
    public const double MinDiffGain = 1, MaxDiffGain = 255;
    const int Gap = 4;
    const float FontSize = 13;
    const int LineHeight = 16;

    public static GridResult Write(ReportData data, string path, int maxImages, int cropLq, Device device, ILogger log)
    {
        // Everything made here (images, crops, outputs) lives in this scope and is freed on return.
        using var scope = NewDisposeScope();
        var notes = new List<string>();
        var first = data.Runs[0];
        if (first.Config is not { } baseConfig)
            return Skipped(first.ConfigError ?? $"{first.Label} has no config.yml, so the validation images are unknown");
        IReadOnlyList<ValidationPair> pairs;
        try
        {
            var v = baseConfig.Datasets.Val;
            if (string.IsNullOrWhiteSpace(v.DatarootGt)) return Skipped($"{first.Label} has no validation folder (datasets.val.dataroot_gt)");
            if (!Directory.Exists(v.DatarootGt)) return Skipped($"validation folder {v.DatarootGt} (datasets.val.dataroot_gt of {first.Label}) not found from {Environment.CurrentDirectory}");
            pairs = ValidationSet.LoadValidationSet(v.DatarootGt, string.IsNullOrWhiteSpace(v.DatarootLq) ? null : v.DatarootLq,
                baseConfig.Scale, baseConfig.Datasets.Train.MaxImagePixels, log);
        }
        catch (SrTrainException e)
        {
            return Skipped(e.Message);
        }

        int scale = baseConfig.Scale;
        var columns = new List<string> { "LQ (nearest)", "bicubic" };
        var cells = new List<List<Tensor>>();
        var rows = new List<string>();
        var crops = pairs.Take(maxImages).Select(p => CenterCrop(p, cropLq, scale)).ToList();
        rows.AddRange(pairs.Take(maxImages).Select(p => p.Name));
        foreach (var (lq, _) in crops)
        {
            var nearest = nn.functional.interpolate(lq, scale_factor: [scale, scale], mode: InterpolationMode.Nearest)[0];
            var bicubic = MatlabResize.Resize(lq, scale).clamp(Scalars.Zero, Scalars.One)[0];
            cells.Add([nearest, bicubic]);
        }
        foreach (var run in data.Runs)
        {
            var outputs = RunOutputs(run, crops.Select(c => c.Lq).ToList(), scale, device, notes, log);
            if (outputs == null) continue;
            columns.Add(run.Label);
            for (int i = 0; i < crops.Count; i++) cells[i].Add(outputs[i]);
        }
        columns.Add("HQ");
        for (int i = 0; i < crops.Count; i++) cells[i].Add(crops[i].Hq[0]);
        int runColumns = columns.Count - 3;
        var allRows = new List<List<Tensor>>();
        var rowNames = new List<string>();
        for (int i = 0; i < cells.Count; i++)
        {
            // The image's name once, on its first row; the rows under it say what they show.
            allRows.Add(cells[i]);
            rowNames.Add(rows[i]);
            allRows.Add(cells[i].Select(ZoomCenter).ToList());
            rowNames.Add($"center zoomed ×{Zoom}");
            if (runColumns >= 2)
            {
                // Columns: LQ, bicubic, runs..., HQ. The first run is the reference: its own cell is blank.
                var reference = cells[i][2];
                var diffs = cells[i].Select((cell, c) => c > 2 && c < 2 + runColumns ? Difference(cell, reference) : null).ToList();
                double gain = Gain(diffs.OfType<Tensor>());
                using var gainScalar = gain.ToScalar();
                allRows.Add(diffs.Select((d, c) => d is null ? Blank(cells[i][c])
                    : d.mul(gainScalar).clamp_(Scalars.Zero, Scalars.One).neg_().add_(Scalars.One, Scalars.One).expand(3, -1, -1).contiguous()).ToList());
                rowNames.Add($"difference to {columns[2]} ×{gain:0} (white: the same, black: differs most)");
            }
        }
        Compose(allRows, columns, path);
        return new GridResult(path, columns, rowNames, notes);

        GridResult Skipped(string why)
        {
            log.Warning("No image grid: {Why}", why);
            return new GridResult(null, [], [], [why]);
        }
    }

    /// <summary>The run's latest EMA generator applied to each crop, or null (with a note) when the run cannot take
    /// part: no config, another scale, no checkpoint.</summary>
    static List<Tensor>? RunOutputs(ReportRun run, IReadOnlyList<Tensor> lqs, int scale, Device device, List<string> notes, ILogger log)
    {
        if (run.Config is not { } config)
            return Note($"{run.Label}: {run.ConfigError ?? "no config.yml, so its generator is unknown"}");
        if (config.Scale != scale)
            return Note($"{run.Label}: scale {config.Scale} differs from the first run's {scale}");
        var store = new CheckpointStore(new RunFolder(run.Dir).CheckpointsDir, log);
        var step = store.LatestStep();
        if (step == null)
            return Note($"{run.Label}: no complete checkpoint yet");
        var weights = Path.Combine(store.PathFor(step.Value), CheckpointFiles.GeneratorEma);
        using var generator = NetworkFactory.CreateGenerator(config.NetworkG, config.Scale);
        generator.load(weights);
        generator.to(device);
        generator.eval();
        var outputs = new List<Tensor>();
        using var noGrad = no_grad();
        foreach (var lq in lqs)
        {
            using var imageScope = NewDisposeScope();
            outputs.Add(generator.call(lq.to(device)).clamp(Scalars.Zero, Scalars.One).cpu()[0].MoveToOuterDisposeScope());
        }
        log.Information("Grid: {Run} at checkpoint {Step}", run.Label, step);
        return outputs;

        List<Tensor>? Note(string why)
        {
            log.Warning("Grid leaves out {Why}", why);
            notes.Add(why);
            return null;
        }
    }

    /// <summary>The center third of a (3,h,w) cell, enlarged back to (3,h,w) by repeating pixels.</summary>
    static Tensor ZoomCenter(Tensor chw)
    {
        long h = chw.shape[1], w = chw.shape[2];
        long zh = Math.Max(1, h / Zoom), zw = Math.Max(1, w / Zoom);
        long top = (h - zh) / 2, left = (w - zw) / 2;
        var center = chw[.., TensorIndex.Slice(top, top + zh), TensorIndex.Slice(left, left + zw)].unsqueeze(0);
        return nn.functional.interpolate(center, size: [h, w], mode: InterpolationMode.Nearest)[0];
    }

    /// <summary>Mean absolute difference over the colour channels, (1,h,w).</summary>
    static Tensor Difference(Tensor chw, Tensor reference) =>
        chw.add(reference, Scalars.MinusOne).abs().mean([0], keepdim: true);

    /// <summary>The gain that makes the 99th percentile of the differences black, a whole number within
    /// [<see cref="MinDiffGain"/>, <see cref="MaxDiffGain"/>].</summary>
    static double Gain(IEnumerable<Tensor> diffs)
    {
        var all = diffs.Select(d => d.flatten()).ToList();
        if (all.Count == 0) return MinDiffGain;
        var values = torch.cat(all).to(ScalarType.Float64).data<double>().ToArray();
        Array.Sort(values);
        double p99 = values[(int)Math.Min(values.Length - 1, Math.Floor(0.99 * values.Length))];
        if (p99 <= 0) return MaxDiffGain;
        return Math.Clamp(Math.Floor(1 / p99), MinDiffGain, MaxDiffGain);
    }

    static Tensor Blank(Tensor like) => torch.ones(like.shape, dtype: ScalarType.Float32, device: CPU);

    /// <summary>Center crop of at most <paramref name="cropLq"/> LQ pixels per side, cut on the LQ grid so LQ and HQ stay
    /// aligned.</summary>
    static (Tensor Lq, Tensor Hq) CenterCrop(ValidationPair p, int cropLq, int scale)
    {
        long h = p.Lq.shape[2], w = p.Lq.shape[3];
        long ch = Math.Min(h, cropLq), cw = Math.Min(w, cropLq);
        long top = (h - ch) / 2, left = (w - cw) / 2;
        var lq = p.Lq[.., .., TensorIndex.Slice(top, top + ch), TensorIndex.Slice(left, left + cw)];
        var hq = p.Hq[.., .., TensorIndex.Slice(top * scale, (top + ch) * scale), TensorIndex.Slice(left * scale, (left + cw) * scale)];
        return (lq, hq);
    }

    /// <summary>Lays the (3,h,w) cells out on white with a label above each column (two lines when a name does not
    /// fit) and writes a PNG.</summary>
    static void Compose(List<List<Tensor>> cells, IReadOnlyList<string> columns, string path)
    {
        int cellW = cells.SelectMany(r => r).Max(t => (int)t.shape[2]);
        int[] rowH = cells.Select(r => r.Max(t => (int)t.shape[1])).ToArray();
        using var typeface = SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default;
        using var font = new SKFont(typeface, FontSize);
        var labels = columns.Select(c => Wrap(c, font, cellW - 4)).ToList();
        int header = 6 + LineHeight * labels.Max(l => l.Count);
        int width = Gap + columns.Count * (cellW + Gap);
        int height = header + rowH.Sum(h => h + Gap);
        var rgba = new byte[width * height * 4];
        Array.Fill(rgba, (byte)255);
        int y0 = header;
        for (int r = 0; r < cells.Count; r++)
        {
            for (int c = 0; c < cells[r].Count; c++)
                Blit(cells[r][c], rgba, width, Gap + c * (cellW + Gap), y0);
            y0 += rowH[r] + Gap;
        }

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            for (int c = 0; c < columns.Count; c++)
                for (int l = 0; l < labels[c].Count; l++)
                    canvas.DrawText(labels[c][l], Gap + c * (cellW + Gap) + cellW / 2f, LineHeight * (l + 1), SKTextAlign.Center, font, paint);
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        png.SaveTo(file);
    }

    /// <summary>The label in one line, or two split after a '-', '_', '/' or space, the rest shortened with an
    /// ellipsis to fit.</summary>
    static List<string> Wrap(string text, SKFont font, int maxWidth)
    {
        if (font.MeasureText(text) <= maxWidth) return [text];
        for (int i = text.Length - 1; i > 0; i--)
            if (text[i - 1] is '-' or '_' or '/' or ' ' && font.MeasureText(text[..i]) <= maxWidth)
                return [text[..i].TrimEnd(), Shorten(text[i..], font, maxWidth)];
        return [Shorten(text, font, maxWidth)];
    }

    static string Shorten(string text, SKFont font, int maxWidth)
    {
        if (font.MeasureText(text) <= maxWidth) return text;
        while (text.Length > 1 && font.MeasureText(text + "…") > maxWidth) text = text[..^1];
        return text + "…";
    }

    static void Blit(Tensor chw, byte[] rgba, int width, int x0, int y0)
    {
        using var scope = NewDisposeScope();
        var hwc = chw.clamp(Scalars.Zero, Scalars.One).mul(Scalars.Byte).round().to(ScalarType.Byte).permute(1, 2, 0).contiguous();
        int h = (int)hwc.shape[0], w = (int)hwc.shape[1];
        var src = hwc.data<byte>().ToArray();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int s = (y * w + x) * 3, d = ((y0 + y) * width + x0 + x) * 4;
                rgba[d] = src[s];
                rgba[d + 1] = src[s + 1];
                rgba[d + 2] = src[s + 2];
            }
    }
}

/// <summary>What the grid shows: its file (null when it could not be made), column and row names, and why runs or
/// the whole grid were left out.</summary>
internal sealed record GridResult(string? Path, IReadOnlyList<string> Columns, IReadOnlyList<string> Rows, IReadOnlyList<string> Notes);
