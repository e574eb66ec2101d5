namespace SrTrain.Translational;

/// <summary>One of the four corners of the full training patch: Row 0 = top, Col 0 = left.</summary>
internal readonly record struct Corner(int Row, int Col)
{
    /// <summary>Top-left, top-right, bottom-left, bottom-right: the order the PyTorch reference lists them in.</summary>
    public static readonly IReadOnlyList<Corner> All = new[] { new Corner(0, 0), new Corner(0, 1), new Corner(1, 0), new Corner(1, 1) };

    public override string ToString() => $"({Row},{Col})";
}
