using System.Text.Json;

namespace SrTrain.Checkpoints;

/// <summary>Counters that must survive a resume for it to be exact.</summary>
internal sealed record TrainingState(long Step, int NonfiniteInARow, long NonfiniteTotal)
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
