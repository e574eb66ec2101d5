namespace SrTrain.Training;

/// <param name="Sets"><c>--set key=value</c> overrides, applied after the file.</param>
internal sealed record TrainRequest(string ConfigPath, string? Name, bool AutoResume, int? Seed = null, IReadOnlyList<string>? Sets = null);
