using System.Text.Json;
using System.Text.Json.Serialization;

namespace SrTrain.Runs;

/// <summary>Where a run came from. A branch (resume from an older step, or with changed losses) names its parent run
/// folder and the step it started from; its metrics continue the parent's step numbering. <c>TranslationalFrom</c> is
/// the step the translational term starts in this run's config (null: the term is off).</summary>
internal sealed record Lineage(
    string Name,
    string? ParentRun,
    long? ParentStep,
    long? TranslationalFrom,
    DateTimeOffset Created)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
