namespace SrTrain.Evaluation;

/// <summary>One method's metrics on one image (or their mean, with <see cref="Image"/> = "mean").</summary>
internal sealed record EvalRow(string Image, string Method, IReadOnlyDictionary<string, double> Metrics);
