namespace SrTrain.Training;

public sealed record TrainResult(string RunDir, long FinalStep, bool Interrupted);
