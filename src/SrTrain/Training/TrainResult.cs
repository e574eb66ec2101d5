namespace SrTrain.Training;

internal sealed record TrainResult(string RunDir, long FinalStep, bool Interrupted);
