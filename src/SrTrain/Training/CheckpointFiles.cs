using System.Text.Json;
using SrTrain.Config;

namespace SrTrain.Training;

/// <summary>What a checkpoint folder holds. TorchSharp's own format for exact resume (weights, EMA, discriminator with
/// its BatchNorm statistics, Adam moments and step counts), and the EMA generator as a BasicSR `.pth`.</summary>
public static class CheckpointFiles
{
    public const string Generator = "net_g.pt";
    public const string GeneratorEma = "net_g_ema.pt";
    public const string Discriminator = "net_d.pt";
    public const string OptimizerG = "optim_g.pt";
    public const string OptimizerD = "optim_d.pt";
    public const string State = "state.json";
    public const string Config = "config.yml";
    /// <summary>BasicSR-compatible {'params_ema': state_dict}: loads in BasicSR, Real-ESRGAN, chaiNNer and `srtrain upscale`.</summary>
    public const string GeneratorEmaPth = "net_g_ema.pth";

    public static void Write(string dir, TrainingParts p, TrainingState state, SrTrainConfig config)
    {
        p.G.save(Path.Combine(dir, Generator));
        p.Ema.Model.save(Path.Combine(dir, GeneratorEma));
        p.OptG.save_state_dict(Path.Combine(dir, OptimizerG));
        if (p.D != null) p.D.save(Path.Combine(dir, Discriminator));
        if (p.OptD != null) p.OptD.save_state_dict(Path.Combine(dir, OptimizerD));
        File.WriteAllText(Path.Combine(dir, State), JsonSerializer.Serialize(state, TrainingState.Json));
        File.WriteAllText(Path.Combine(dir, Config), ConfigWriter.ToYaml(config));
        Interop.WeightFile.WriteGenerator(p.Ema.Model, Path.Combine(dir, GeneratorEmaPth), Interop.PthWrapping.ParamsEma);
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
            p.G.load(Need(Generator));
            p.Ema.Model.load(Need(GeneratorEma));
            p.OptG.load_state_dict(Need(OptimizerG));
            if (p.D != null)
            {
                // A checkpoint from a pixel-only phase has no discriminator yet: D then starts fresh, as it would have.
                var d = Path.Combine(dir, Discriminator);
                if (File.Exists(d))
                {
                    p.D.load(d);
                    if (p.OptD != null && File.Exists(Path.Combine(dir, OptimizerD))) p.OptD.load_state_dict(Path.Combine(dir, OptimizerD));
                }
            }
            return JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(Need(State)), TrainingState.Json)
                   ?? throw new SrTrainException($"{Path.Combine(dir, State)}: empty");
        }
        catch (Exception e) when (e is not SrTrainException)
        {
            throw new SrTrainException($"{dir}: the checkpoint does not fit this configuration or is damaged ({e.Message.Split('\n')[0]}); " +
                                       "resume with the run's own config or from another step (--from)");
        }
    }
}
