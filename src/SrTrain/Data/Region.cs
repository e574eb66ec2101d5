namespace SrTrain.Data;

/// <summary>A rectangle in pixels, in some image's own coordinates.</summary>
public sealed record Region(int Top, int Left, int Height, int Width);
