namespace SrTrain.Checkpoints;

/// <summary>The files a checkpoint folder holds (see Training/TrainingCheckpoint for what is in them): the networks,
/// optimizer states and counters for an exact resume, the config, and the EMA generator as a BasicSR `.pth`.</summary>
internal static class CheckpointFiles
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
}
