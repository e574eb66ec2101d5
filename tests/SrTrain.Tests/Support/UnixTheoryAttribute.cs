namespace SrTrain.Tests.Support;

/// <summary>The <see cref="UnixFactAttribute"/> of a theory: skipped on Windows, with the reason.</summary>
public sealed class UnixTheoryAttribute : TheoryAttribute
{
    /// <param name="needs">What the test needs that Windows lacks, e.g. "/dev/zero".</param>
    public UnixTheoryAttribute(string needs)
    {
        if (OperatingSystem.IsWindows()) Skip = "needs " + needs + ", which Windows does not have";
    }
}
