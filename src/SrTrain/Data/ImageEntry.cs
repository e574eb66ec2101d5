namespace SrTrain.Data;

/// <summary>One usable training or validation image (or HQ/LQ pair), known from its header only.</summary>
internal sealed class ImageEntry
{
    public required string Name { get; init; }
    public required string HqPath { get; init; }
    public string? LqPath { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    internal int Bad;
}
