using System.Text.Json;
using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Tests.Support;
using SrTrain.Training;
using TorchSharp;
using static SrTrain.Tests.Data.DataTestUtil;

namespace SrTrain.Tests.Cli;

/// <summary>`srtrain degrade` writes the pairs training sees: the same pixels as DataPipeline.GetBatch of that step.</summary>
public class DegradeCommandTests
{
    static string Config(string hqDir, int queue) => $"""
        scale: 4
        seed: 5
        datasets:
          train:
            dataroot_gt: {hqDir}
            gt_size: 48
            batch_size: 4
            num_workers: 1
            realesrgan:
              enabled: true
              crop_pad_size: 96
              queue_size: {queue}
        """;

    [Fact]
    public void WritesTheBatchOfTheStep_AndItsDraws()
    {
        EnsureTorch();
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("hq"));
        foreach (var n in new[] { "chelsea_hq.png", "camera.png" }) File.Copy(TestFile(n), dir.File(Path.Combine("hq", n)));
        File.WriteAllText(dir.File("c.yml"), Config(dir.File("hq"), queue: 8));
        var (code, output) = CliProcess.Run(dir.Path, "degrade", "--config", "c.yml", "--step", "3", "--count", "6", "-o", "out", "--device", "cpu");
        Assert.True(code == 0, output);

        var config = ConfigLoader.LoadFile(dir.File("c.yml"));
        var lines = File.ReadAllLines(dir.File(Path.Combine("out", "draws.jsonl")));
        Assert.Equal(6, lines.Length);
        using var scope = torch.NewDisposeScope();
        for (long step = 3; step <= 4; step++)
        {
            var batch = PipelineTrainingData.PipelineAt(config, step, Serilog.Core.Logger.None).GetBatch(step);
            for (int i = 0; i < (step == 3 ? 4 : 2); i++)
            {
                string name = Path.Combine(dir.Path, "out", $"step{step:D6}_{i:D3}");
                Assert.Equal(ToBytes(batch.Lq[i]), ToBytes(ImageFile.ReadRgb(name + "_lq.png")));
                Assert.Equal(ToBytes(batch.Hq[i]), ToBytes(ImageFile.ReadRgb(name + "_gt.png")));
                using var doc = JsonDocument.Parse(lines[(step - 3) * 4 + i]);
                var r = doc.RootElement;
                Assert.Equal(step, r.GetProperty("step").GetInt64());
                Assert.Equal(batch.Samples[i].Origin!.Value.Step, r.GetProperty("origin_step").GetInt64());
                Assert.Equal(batch.Samples[i].Origin!.Value.Index, r.GetProperty("origin_index").GetInt32());
                Assert.Equal(batch.Samples[i].Image, r.GetProperty("image").GetString());
                Assert.Equal(batch.Samples[i].Draws!.CropTop, r.GetProperty("sample").GetProperty("crop_top").GetInt32());
                Assert.Equal(batch.Samples[i].BatchDraws!.LqCropLeft, r.GetProperty("batch").GetProperty("lq_crop_left").GetInt32());
                Assert.Equal(JsonValueKind.String, r.GetProperty("sample").GetProperty("kernel1").GetProperty("type").ValueKind);
            }
        }
        // Steps 3 and 4 are past the pool's fill (8 / 4 = 2 steps): their pairs come from earlier steps.
        Assert.All(lines, l => Assert.True(JsonDocument.Parse(l).RootElement.GetProperty("origin_step").GetInt64() < 3));

        // Again into the same folder: refused before any work, unless --overwrite.
        (code, output) = CliProcess.Run(dir.Path, "degrade", "--config", "c.yml", "--step", "3", "--count", "6", "-o", "out", "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Contains("--overwrite", output);
        (code, output) = CliProcess.Run(dir.Path, "degrade", "--config", "c.yml", "--step", "3", "--count", "6", "-o", "out", "--overwrite", "--device", "cpu");
        Assert.True(code == 0, output);
    }

    [Fact]
    public void BadInput_IsOneLine_AndExitCode2()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.yml"), Config(dir.File("hq"), queue: 6));
        var (code, output) = CliProcess.Run(dir.Path, "degrade", "--config", "c.yml", "-o", "out");
        Assert.Equal(2, code);
        Assert.Contains("queue_size", output);
        (code, output) = CliProcess.Run(dir.Path, "degrade", "--config", "missing.yml", "-o", "out");
        Assert.Equal(2, code);
        (code, output) = CliProcess.Run(dir.Path, "degrade", "--config", "c.yml", "--count", "0", "-o", "out");
        Assert.Equal(2, code);
        Assert.False(Directory.Exists(dir.File("out")));
    }
}
