using System.Runtime.InteropServices;
using System.Text.Json;
using SrTrain.Config;
using SrTrain.Interop;
using SrTrain.Runtime;
using static TorchSharp.torch;

namespace SrTrain.Checkpoints;

/// <summary>An optimizer whose state a checkpoint holds: named CPU tensors out, the same names back in (throwing
/// <see cref="InvalidDataException"/> when they do not fit).</summary>
internal interface IOptimizerState
{
    Dictionary<string, Tensor> StateDict();
    void LoadStateDict(IReadOnlyDictionary<string, Tensor> sd);
}

/// <summary>What a checkpoint holds: the generator, its EMA copy, the discriminator (null before the GAN phase has
/// one) and their optimizers.</summary>
internal sealed record CheckpointParts(nn.Module G, nn.Module GEma, nn.Module? D, IOptimizerState OptG, IOptimizerState? OptD);

/// <summary>What a checkpoint holds and how: every network and optimizer as named tensors in one encoding
/// (<see cref="StateDictFile"/>, written and read by the same code), the counters of an exact resume in state.json, the
/// config, and the EMA generator as a BasicSR `.pth` (file names: <see cref="CheckpointFiles"/>). Everything is written
/// from and read into tensors on any device, so a checkpoint made on a GPU resumes on the CPU and the other way round.</summary>
internal static class TrainingCheckpoint
{
    public static void Write(string dir, CheckpointParts p, TrainingState state, SrTrainConfig config)
    {
        // A checkpoint with NaN or infinite weights only ever gives black images and poisons every resume from it.
        foreach (var (what, net) in new (string, nn.Module?)[] { ("generator", p.G), ("EMA generator", p.GEma), ("discriminator", p.D) })
            if (net != null && WeightFile.FirstNonFinite(net.state_dict().Select(kv => (kv.Key, kv.Value))) is { } broken)
                throw new SrTrainException($"not saving checkpoint {state.Step}: the {what}'s '{broken}' holds NaN or infinite values (the training diverged); " +
                                           "lower the learning rate or the GAN weight and resume from an earlier checkpoint, which is intact");
        StateDictFile.Write(Path.Combine(dir, CheckpointFiles.Generator), p.G.state_dict());
        StateDictFile.Write(Path.Combine(dir, CheckpointFiles.GeneratorEma), p.GEma.state_dict());
        WriteOptimizer(p.OptG, Path.Combine(dir, CheckpointFiles.OptimizerG));
        if (p.D != null) StateDictFile.Write(Path.Combine(dir, CheckpointFiles.Discriminator), p.D.state_dict());
        if (p.OptD != null) WriteOptimizer(p.OptD, Path.Combine(dir, CheckpointFiles.OptimizerD));
        File.WriteAllText(Path.Combine(dir, CheckpointFiles.State), JsonSerializer.Serialize(state, TrainingState.Json));
        File.WriteAllText(Path.Combine(dir, CheckpointFiles.Config), ConfigWriter.ToYaml(config));
        WeightFile.WriteGenerator(p.GEma, Path.Combine(dir, CheckpointFiles.GeneratorEmaPth), PthWrapping.ParamsEma);
    }

    public static TrainingState Read(string dir, CheckpointParts p)
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
            StateDictFile.LoadInto(p.GEma, Need(CheckpointFiles.GeneratorEma));
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
            return JsonSerializer.Deserialize<TrainingState>(RegularFile.ReadAllText(Need(CheckpointFiles.State), 1 << 20), TrainingState.Json)
                   ?? throw new SrTrainException($"{Path.Combine(dir, CheckpointFiles.State)}: empty");
        }
        // What a damaged or foreign file throws: its own checks (InvalidData), a short file (EndOfStream), a bad name or
        // count (Format/Overflow from BinaryReader), libtorch refusing a tensor (External), bad JSON. Anything else is a
        // bug and surfaces as one.
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or OverflowException
                                      or ExternalException or JsonException)
        {
            throw new SrTrainException($"{dir}: the checkpoint does not fit this configuration or is damaged ({SrTrainException.FirstLine(e)}); " +
                                       "resume with the run's own config or from another step (--from)");
        }
    }

    static void WriteOptimizer(IOptimizerState opt, string path)
    {
        var sd = opt.StateDict();
        StateDictFile.Write(path, sd);
        foreach (var t in sd.Values) t.Dispose();
    }

    static void ReadOptimizer(IOptimizerState opt, string path)
    {
        var sd = StateDictFile.Read(path);
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
