namespace SrTrain.Reporting;

/// <summary>What the grid shows: its file (null when it could not be made), column and row names, and why runs or
/// the whole grid were left out.</summary>
internal sealed record GridResult(string? Path, IReadOnlyList<string> Columns, IReadOnlyList<string> Rows, IReadOnlyList<string> Notes);
