namespace SrTrain.Training;

public sealed record ResumeRequest(
    string? RunDir,
    long? FromStep,
    bool Translational,
    double? TranslationalWeight,
    IReadOnlyList<string> OverrideConfigs,
    string? Name,
    IReadOnlyList<string>? Sets = null);
