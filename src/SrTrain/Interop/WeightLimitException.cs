namespace SrTrain.Interop;

/// <summary>A weight file asks for more than <see cref="Config.InputLimits.MaxWeightBytes"/> or nests deeper than
/// <see cref="Config.InputLimits.MaxNesting"/>: refused before anything that size is allocated.</summary>
internal sealed class WeightLimitException(string message, string? variable) : Exception(message)
{
    /// <summary>The environment variable that raises the limit, or null for a fixed bound.</summary>
    public string? Variable { get; } = variable;

    /// <summary>A weight file's tensors, added up (entries may share bytes), pass the per-file budget.</summary>
    public static WeightLimitException TensorsAbove(long budgetBytes) =>
        new($"its tensors need more than {budgetBytes >> 20} MB", Config.InputLimits.MaxWeightMbVariable);
}
