namespace SrTrain.Training;

/// <param name="RunDir">The run to continue; null: the most recently written run under <paramref name="RunsDir"/>.</param>
/// <param name="RunsDir">Where to look when no run is named (the config's <c>runs_dir</c>; null: its default).</param>
internal sealed record ResumeRequest(
    string? RunDir,
    long? FromStep,
    bool Translational,
    double? TranslationalWeight,
    IReadOnlyList<string> OverrideConfigs,
    string? Name,
    IReadOnlyList<string>? Sets = null,
    string? RunsDir = null);
