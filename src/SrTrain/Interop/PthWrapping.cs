namespace SrTrain.Interop;

// Public (the application's types are internal): xunit theories in the tests take it as a parameter.
/// <summary>How a generator's state dict is wrapped in a .pth file.</summary>
public enum PthWrapping
{
    /// <summary><c>{'params_ema': state_dict}</c>: what BasicSR saves and ESRGAN/Real-ESRGAN release files contain.</summary>
    ParamsEma,
    /// <summary><c>{'params': state_dict}</c>: BasicSR's key for weights without EMA.</summary>
    Params,
    /// <summary>The bare state dict, as <c>torch.save(model.state_dict(), path)</c> writes it.</summary>
    Plain,
}
