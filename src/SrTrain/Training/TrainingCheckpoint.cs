using System.Text.Json;
using SrTrain.Config;
using SrTrain.Runs;
using SrTrain.Training.Checkpoints;

namespace SrTrain.Training;

/// <summary>What a checkpoint holds and how: TorchSharp's module file format for exact resume (weights, EMA,
/// discriminator with its BatchNorm statistics; Adam's step and moments by parameter name), and the EMA generator as a
/// BasicSR `.pth` (file names: <see cref="CheckpointFiles"/>). Everything is written from and read into tensors on any
/// device, so a checkpoint made on a GPU resumes on the CPU and the other way round.</summary>
public static class TrainingCheckpoint
{
    public static void Write(string dir, TrainingParts p, TrainingState state, SrTrainConfig config)
    {
        // A checkpoint with NaN or infinite weights only ever gives black images and poisons every resume from it.
        foreach (var (what, net) in new (string, TorchSharp.torch.nn.Module?)[] { ("generator", p.G), ("EMA generator", p.Ema.Model), ("discriminator", p.D) })
            if (net != null && Interop.WeightFile.FirstNonFinite(net.state_dict().Select(kv => (kv.Key, kv.Value))) is { } broken)
                throw new SrTrainException($"not saving checkpoint {state.Step}: the {what}'s '{broken}' holds NaN or infinite values (the training diverged); " +
                                           "lower the learning rate or the GAN weight and resume from an earlier checkpoint, which is intact");
        p.G.save(Path.Combine(dir, CheckpointFiles.Generator));
        p.Ema.Model.save(Path.Combine(dir, CheckpointFiles.GeneratorEma));
        WriteOptimizer(p.OptG, Path.Combine(dir, CheckpointFiles.OptimizerG));
        if (p.D != null) p.D.save(Path.Combine(dir, CheckpointFiles.Discriminator));
        if (p.OptD != null) WriteOptimizer(p.OptD, Path.Combine(dir, CheckpointFiles.OptimizerD));
        File.WriteAllText(Path.Combine(dir, CheckpointFiles.State), JsonSerializer.Serialize(state, TrainingState.Json));
        File.WriteAllText(Path.Combine(dir, CheckpointFiles.Config), ConfigWriter.ToYaml(config));
        Interop.WeightFile.WriteGenerator(p.Ema.Model, Path.Combine(dir, CheckpointFiles.GeneratorEmaPth), Interop.PthWrapping.ParamsEma);
    }

    public static TrainingState Read(string dir, TrainingParts p)
    {
        string Need(string name)
        {
            var path = Path.Combine(dir, name);
            if (!File.Exists(path))
                throw new SrTrainException($"{path}: missing from the checkpoint; resume from another step (--from)");
            return path;
        }
        try
        {
            StateDictFile.LoadInto(p.G, Need(CheckpointFiles.Generator));
            StateDictFile.LoadInto(p.Ema.Model, Need(CheckpointFiles.GeneratorEma));
            ReadOptimizer(p.OptG, Need(CheckpointFiles.OptimizerG));
            if (p.D != null)
            {
                // A checkpoint from a pixel-only phase has no discriminator yet: D then starts fresh, as it would have.
                var d = Path.Combine(dir, CheckpointFiles.Discriminator);
                if (File.Exists(d))
                {
                    StateDictFile.LoadInto(p.D, d);
                    if (p.OptD != null && File.Exists(Path.Combine(dir, CheckpointFiles.OptimizerD))) ReadOptimizer(p.OptD, Path.Combine(dir, CheckpointFiles.OptimizerD));
                }
            }
            return JsonSerializer.Deserialize<TrainingState>(Runtime.RegularFile.ReadAllText(Need(CheckpointFiles.State), 1 << 20), TrainingState.Json)
                   ?? throw new SrTrainException($"{Path.Combine(dir, CheckpointFiles.State)}: empty");
        }
        catch (Exception e) when (e is not SrTrainException)
        {
            throw new SrTrainException($"{dir}: the checkpoint does not fit this configuration or is damaged ({SrTrainException.FirstLine(e)}); " +
                                       "resume with the run's own config or from another step (--from)");
        }
    }

    static void WriteOptimizer(FlatAdam opt, string path)
    {
        var sd = opt.StateDict();
        StateDictFile.Write(path, sd);
        foreach (var t in sd.Values) t.Dispose();
    }

    /// <summary>Restores an optimizer from SrTrain's format or, for checkpoints written before it, TorchSharp's.</summary>
    static void ReadOptimizer(FlatAdam opt, string path)
    {
        var sd = LegacyAdamState.IsLegacy(path) ? LegacyAdamState.Read(path, opt.Parameters) : StateDictFile.Read(path);
        try
        {
            opt.LoadStateDict(sd);
        }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
        }
    }
}
