using System.CommandLine;
using System.Globalization;
using SrTrain.Benchmarks;
using SrTrain.Data;
using SrTrain.Runtime;
using TorchSharp;

namespace SrTrain.Cli.Commands;

/// <summary>`srtrain bench`: times SrTrain's real training step (or inference, or the data pipeline) on a fixed preset
/// that scripts/peer_srgan_step.py runs op for op in PyTorch, and prints the numbers to compare.</summary>
public static class BenchCommand
{
    public static Command Build()
    {
        var preset = new Option<string>("--preset") { Description = "Benchmark preset (same name as the peer script's)", DefaultValueFactory = _ => "cpu-small" };
        var translational = new Option<bool>("--translational") { Description = "Train with the translational term (144-pixel full patch, two corner passes)" };
        var infer = new Option<bool>("--infer") { Description = "Time the generator alone without gradients on one 128x128 image" };
        var data = new Option<bool>("--data")
        {
            Description = "Also measure the data pipeline's patches/s against what the training step consumes; with --config, instead " +
                          "time that config's pipeline (its workers and degradation, Real-ESRGAN's included) against its own training step",
        };
        var dataDir = new Option<string>("--data-dir") { Description = "HQ image folder for --data", DefaultValueFactory = _ => "datasets/sample/train" };
        var steps = new Option<int>("--steps") { Description = "Timed steps", DefaultValueFactory = _ => 8 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up steps first", DefaultValueFactory = _ => 2 };
        var memory = new Option<bool>("--memory") { Description = "Instead: run the real training parts of --config for --memory-steps steps and check that memory stays flat" };
        var config = new Option<string>("--config") { Description = "Config for --memory or --data", DefaultValueFactory = _ => "configs/quickstart.yaml" };
        var memorySteps = new Option<int>("--memory-steps") { Description = "Steps for --memory (resident memory is compared between step 100 and the last)", DefaultValueFactory = _ => 1000 };
        var noPeaks = new Option<bool>("--no-peaks") { Description = "Skip the matmul/conv peak probes" };
        var gcHammer = new Option<bool>("--gc-hammer") { Description = "With --memory: collect garbage without pause on another thread meanwhile (a crash in native code here means a Scalar is not kept alive)" };
        var largeImages = new Option<bool>("--large-images") { Description = "Instead: peak memory of upscale (tiled and --tile 0), eval and train on generated photos of --sizes megapixels, each in its own srtrain process" };
        var sizes = new Option<string>("--sizes") { Description = "Megapixels for --large-images", DefaultValueFactory = _ => "1,4,16" };
        var trainMegapixels = new Option<double>("--train-megapixels") { Description = "Size of the one training photo for --large-images (0 = no training case)", DefaultValueFactory = _ => 100 };
        var photo = new Option<string>("--photo") { Description = "Photo the --large-images inputs are made from", DefaultValueFactory = _ => "datasets/sample/val/chelsea.png" };
        var model = new Option<string?>("--model") { Description = "Model for --large-images (default: the newest run, as upscale)" };
        var cmd = new Command("bench", "Time the training step, inference or the data pipeline on a fixed preset (compare with scripts/bench-vs-peer.sh)")
        {
            preset, translational, infer, data, dataDir, steps, warmup, memory, config, memorySteps, noPeaks, gcHammer,
            largeImages, sizes, trainMegapixels, photo, model,
        };
        cmd.SetAction(parse => CliApp.Run(parse, ctx =>
        {
            if (parse.GetValue(largeImages))
                return RunLargeImages(parse.GetValue(sizes)!, parse.GetValue(trainMegapixels), parse.GetValue(photo)!, parse.GetValue(model),
                    parse.GetValue(config)!, ctx);
            var p = BenchPreset.Find(parse.GetValue(preset)!);
            int n = parse.GetValue(steps), w = parse.GetValue(warmup);
            if (n < 1) throw new SrTrainException($"--steps {n}: must be at least 1");
            if (w < 0) throw new SrTrainException($"--warmup {w}: must be 0 or more");
            var device = DeviceSelector.Select(ctx.Device, ctx.Threads, ctx.Log);
            Out($"srtrain bench preset {p.Name} on {DescribeDevice(device)}: threads {torch.get_num_threads()}{(ctx.Threads > 0 ? "" : " (all cores)")}, " +
                $"interop threads {torch.get_num_interop_threads()}, {Environment.ProcessorCount} cores");
            if (parse.GetValue(data) && parse.GetResult(config) is { Implicit: false } && !parse.GetValue(memory))
                return RunConfigData(parse.GetValue(config)!, n, w, device, ctx);
            if (parse.GetValue(memory))
                return RunMemory(parse.GetValue(config)!, parse.GetValue(memorySteps), parse.GetValue(gcHammer), device, ctx);
            if (parse.GetValue(gcHammer)) throw new SrTrainException("--gc-hammer goes with --memory");
            bool trans = parse.GetValue(translational);
            double? stepMs;
            if (parse.GetValue(infer))
            {
                RunInfer(p, n, w, device);
                stepMs = null;
            }
            else
            {
                stepMs = RunTrain(p, trans, n, w, device);
            }
            if (!parse.GetValue(noPeaks) && device.type == DeviceType.CPU)
                Out($"peaks: matmul 2048x2048 {PeakProbe.MatmulGflops():F1} GFLOP/s, conv3x3 64->64 on 1x64x128x128 {PeakProbe.Conv3x3Gflops():F1} GFLOP/s");
            Out($"peak RSS {Mib(ProcessMemory.PeakResidentBytes())}");
            if (parse.GetValue(data))
            {
                if (stepMs is null) throw new SrTrainException("--data compares with the training step: drop --infer");
                RunData(p, trans, parse.GetValue(dataDir)!, stepMs.Value, ctx);
            }
            return CliApp.ExitOk;
        }));
        return cmd;
    }

    static string DescribeDevice(torch.Device device) =>
        device.type == DeviceType.CUDA ? $"CUDA ({torch.cuda.device_count()} device(s), cuDNN benchmark {(CudnnSettings.Benchmark ? "on" : "off")})" : "CPU";

    static double RunTrain(BenchPreset p, bool translational, int steps, int warmup, torch.Device device)
    {
        using var bench = new SrganBench(p, translational, device: device);
        Out($"params: G {SrganBench.CountParameters(bench.Generator):N0}, D {SrganBench.CountParameters(bench.Discriminator):N0}, " +
            $"VGG-16 to relu5_3 {SrganBench.CountParameters(bench.Vgg):N0}");
        var flops = bench.CountStepFlops();
        var stats = TimingStats.Of(bench.Time(steps, warmup).ToArray());
        string what = translational ? "train +translational" : "train";
        Out($"{what} median_ms {stats.Median:F1} p10 {stats.P10:F1} p90 {stats.P90:F1} min {stats.Min:F1} max {stats.Max:F1} " +
            $"(steps {steps}, warmup {warmup}) images/s {p.BatchSize * 1000 / stats.Median:F2}");
        Out($"flops/step {flops.Total / 1e9:F1} GFLOP (G {flops.Generator / 1e9:F1}, VGG {flops.Vgg / 1e9:F1}, D {flops.Discriminator / 1e9:F1}), " +
            $"achieved {flops.Total / 1e6 / stats.Median:F1} GFLOP/s");
        return stats.Median;
    }

    static void RunInfer(BenchPreset p, int steps, int warmup, torch.Device device)
    {
        using var bench = new InferenceBench(p, device: device);
        Out($"params: G {SrganBench.CountParameters(bench.Generator):N0}");
        double flops = bench.CountFlops();
        var stats = TimingStats.Of(bench.Time(steps, warmup).ToArray());
        int outSize = p.InferSize * p.Scale;
        Out($"infer {p.InferSize}->{outSize} median_ms {stats.Median:F1} p10 {stats.P10:F1} p90 {stats.P90:F1} min {stats.Min:F1} max {stats.Max:F1} " +
            $"(steps {steps}, warmup {warmup}) images/s {1000 / stats.Median:F2}");
        Out($"flops/image {flops / 1e9:F1} GFLOP, achieved {flops / 1e6 / stats.Median:F1} GFLOP/s");
    }

    static void RunData(BenchPreset p, bool translational, string dir, double stepMs, CommandContext ctx)
    {
        if (!Directory.Exists(dir)) throw new SrTrainException($"--data-dir {dir}: folder not found (run from the repository root or pass --data-dir)");
        var options = new DataPipelineOptions
        {
            HqDir = dir,
            Scale = p.Scale,
            GtSize = p.HqSize,
            BatchSize = p.BatchSize,
            TranslationalShift = translational ? p.TranslationalShift : 0,
            // What the pipeline can make with up to 4 workers and 8 batches ahead (more than training's defaults), so the
            // ratio says whether the data can keep up at all.
            NumWorkers = Math.Max(1, Math.Min(4, Environment.ProcessorCount)),
            QueueCapacity = 8,
        };
        double produced = DataThroughput.Measure(options, 5.0, ctx.Log);
        double consumed = p.BatchSize * 1000 / stepMs;
        Out($"data {dir}: {produced:F1} patches/s with {options.NumWorkers} workers; training consumes {consumed:F2} patches/s; " +
            $"ratio {produced / consumed:F1}x (target >= 4x)");
    }

    static int RunConfigData(string configPath, int steps, int warmup, torch.Device device, CommandContext ctx)
    {
        var config = Config.ConfigPaths.ExpandHome(Config.ConfigLoader.LoadFile(configPath));
        var r = DataBench.Run(config, device, steps, warmup, 10.0, ctx.Log);
        var re = config.Datasets.Train.Realesrgan;
        Out($"data {configPath} ({(re.Enabled ? $"Real-ESRGAN degradation, crop_pad_size {re.CropPadSize}, queue_size {re.QueueSize}" : "bicubic LQ")}): " +
            $"{r.BatchesPerSecond:F2} batches/s, {r.SamplesPerSecond:F1} samples/s with {r.Workers} worker(s)");
        Out($"training step (step 0's losses, batch {r.BatchSize}) median_ms {r.StepMs:F1}: {r.StepsPerSecond:F2} steps/s; " +
            $"ratio {r.Ratio:F1}x (target >= 4x)");
        Out($"peak RSS {Mib(ProcessMemory.PeakResidentBytes())}");
        return CliApp.ExitOk;
    }

    static int RunMemory(string configPath, int steps, bool gcHammer, torch.Device device, CommandContext ctx)
    {
        if (steps < 200) throw new SrTrainException($"--memory-steps {steps}: use at least 200 (the first 100 steps are the warm-up)");
        var config = Config.ConfigLoader.LoadFile(configPath);
        var at = Enumerable.Range(1, steps / 100).Select(i => (long)i * 100).ToList();
        if (at[^1] != steps) at.Add(steps);
        var hammer = gcHammer ? new GcHammer() : null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<MemorySample> samples;
        try
        {
            samples = MemorySoak.Run(config, device, steps, at, ctx.Log);
        }
        finally
        {
            hammer?.Dispose();
        }
        if (hammer != null)
            Out($"gc-hammer: {steps} training steps in {clock.Elapsed.TotalSeconds:F0} s beside {hammer.Collections} garbage collections, no crash");
        foreach (var s in samples)
            Out($"memory step {s.Step} RSS {Mib(s.ResidentBytes)} live tensors {s.LiveTensors}");
        var first = samples[0];
        var last = samples[^1];
        double growth = (double)(last.ResidentBytes - first.ResidentBytes) / first.ResidentBytes;
        long tensorGrowth = last.LiveTensors - first.LiveTensors;
        bool ok = growth < 0.05 && tensorGrowth <= 0;
        Out($"memory {configPath}: RSS {growth * 100:+0.0;-0.0}% from step {first.Step} to {last.Step} (limit +5%), live tensors {tensorGrowth:+0;-0;0} " +
            $"-> {(ok ? "FLAT" : "GROWING")}");
        return ok ? CliApp.ExitOk : 1;
    }

    static int RunLargeImages(string sizeList, double trainMegapixels, string photo, string? model, string configPath, CommandContext ctx)
    {
        var megapixels = sizeList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var mp) && mp > 0 && mp <= 400 ? mp
                : throw new SrTrainException($"--sizes {sizeList}: give megapixels between 0 and 400, separated by commas"))
            .ToList();
        if (!File.Exists(photo)) throw new SrTrainException($"--photo {photo}: file not found (run from the repository root or pass --photo)");
        if (trainMegapixels > 0 && !File.Exists(configPath)) throw new SrTrainException($"--config {configPath}: file not found");
        var srtrain = Environment.ProcessPath ?? throw new SrTrainException("cannot tell where srtrain is");
        var work = Directory.CreateTempSubdirectory("srtrain-large-");
        try
        {
            var threads = new[] { "--threads", ctx.Threads.ToString(CultureInfo.InvariantCulture) };
            var modelArgs = model is null ? Array.Empty<string>() : new[] { "--model", Path.GetFullPath(model) };
            var cases = new List<LargeImageBench.Case>();
            foreach (double mp in megapixels)
            {
                int side = LargeImageBench.Side(mp);
                string dir = Path.Combine(work.FullName, $"{mp:0.##}mp"), file = Path.Combine(dir, "photo.png");
                LargeImageBench.MakePhoto(photo, side, side, file);
                string outDir = Path.Combine(work.FullName, "out");
                cases.Add(new($"upscale {mp:0.##} MP ({side}x{side}) tiled", [.. threads, "upscale", file, "-o", outDir, "--overwrite", .. modelArgs]));
                cases.Add(new($"upscale {mp:0.##} MP ({side}x{side}) --tile 0", [.. threads, "upscale", file, "-o", outDir, "--overwrite", "--tile", "0", .. modelArgs]));
                cases.Add(new($"eval {mp:0.##} MP ({side}x{side})", [.. threads, "eval", "--data", dir, .. (model is null ? Array.Empty<string>() : new[] { "--model", Path.GetFullPath(model) })]));
            }
            if (trainMegapixels > 0)
            {
                int side = LargeImageBench.Side(trainMegapixels);
                string dir = Path.Combine(work.FullName, "train");
                LargeImageBench.MakePhoto(photo, side, side, Path.Combine(dir, "photo.png"));
                foreach (var cache in new[] { "true", "false" })
                    cases.Add(new($"train {trainMegapixels:0.##} MP ({side}x{side}) cache_images {cache}, 4 steps", [.. threads, "train", "-c", Path.GetFullPath(configPath),
                        "--name", $"large-{cache}", "--set", $"datasets.train.dataroot_gt={dir}", "--set", $"datasets.train.cache_images={cache}",
                        "--set", "train.total_steps=4", "--set", $"runs_dir={Path.Combine(work.FullName, "runs")}"]));
            }
            int failed = 0;
            foreach (var c in cases)
            {
                var r = LargeImageBench.Run(srtrain, c, Directory.GetCurrentDirectory());
                if (r.ExitCode != 0) failed++;
                Out($"large-images {c.Name}: peak RSS {Mib(r.PeakBytes)}, {r.Seconds:F0} s, exit {r.ExitCode}");
            }
            return failed == 0 ? CliApp.ExitOk : 1;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    static string Mib(long? bytes) => bytes is null ? "n/a" : (bytes.Value / 1048576.0).ToString("F0", CultureInfo.InvariantCulture) + " MiB";

    // The bench's result lines are its output (for scripts/bench-vs-peer.sh), not log events.
    static void Out(string line) => Console.WriteLine(line);
}
