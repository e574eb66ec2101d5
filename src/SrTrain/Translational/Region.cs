namespace SrTrain.Translational;

/// <summary>A rectangle in pixel coordinates of some image or crop (rows from the top, columns from the left).</summary>
internal sealed record Region(int Top, int Left, int Height, int Width);
