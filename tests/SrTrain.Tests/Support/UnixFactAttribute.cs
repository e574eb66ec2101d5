namespace SrTrain.Tests.Support;

/// <summary>A test of something Windows does not have (POSIX signals, /dev/zero, /proc, Open MPI's mpirun): skipped
/// there, with the reason in the test report, instead of failing or passing without checking anything.</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    /// <param name="needs">What the test needs that Windows lacks, e.g. "SIGINT sent with kill(1)".</param>
    public UnixFactAttribute(string needs)
    {
        if (OperatingSystem.IsWindows()) Skip = "needs " + needs + ", which Windows does not have";
    }
}
