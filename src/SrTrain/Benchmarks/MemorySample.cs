namespace SrTrain.Benchmarks;

/// <summary>Process memory and live TorchSharp tensors after a given number of training steps.</summary>
internal sealed record MemorySample(long Step, long ResidentBytes, long LiveTensors);
