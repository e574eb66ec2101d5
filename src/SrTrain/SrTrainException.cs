namespace SrTrain;

/// <summary>An error the user can fix (bad config, missing file, unreadable weights). The CLI prints its message as one
/// line and exits non-zero, without a stack trace. Messages name the file or key and say what to do.</summary>
internal class SrTrainException : Exception
{
    public SrTrainException(string message) : base(message) { }
    public SrTrainException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The first line of <paramref name="e"/>'s message, to quote another error inside a one-line message.</summary>
    public static string FirstLine(Exception e) => e.Message.Split('\n', 2)[0].Trim();
}
