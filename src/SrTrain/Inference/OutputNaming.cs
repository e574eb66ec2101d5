namespace SrTrain.Inference;

/// <summary>How results are named: <c>&lt;stem&gt;_&lt;suffix&gt;.&lt;ext&gt;</c> (Real-ESRGAN's <c>--suffix</c> and
/// <c>--ext</c>). An empty suffix keeps the input's stem; a null extension keeps the input's.</summary>
internal sealed record OutputNaming(string Suffix, string? Extension = null)
{
    /// <summary>The suffix is part of a file name: a separator or <c>..</c> in it would put results outside the output
    /// folder (<c>--suffix a/../../victim/x --overwrite</c> once replaced a file elsewhere).</summary>
    public string Suffix { get; } = CheckSuffix(Suffix);

    /// <summary>Refuses a suffix that is not a plain name part, naming the option; returns it otherwise.</summary>
    public static string CheckSuffix(string suffix)
    {
        // ':' names an alternate data stream or a drive on Windows; control characters (a newline) make names that
        // logs and shells mangle.
        if (suffix.IndexOfAny(['/', '\\', ':']) >= 0 || suffix.Contains("..", StringComparison.Ordinal) || suffix.Any(char.IsControl))
            throw new SrTrainException($"--suffix '{suffix.ReplaceLineEndings(" ")}': must be a plain name part, without '/', '\\', ':', '..' " +
                                       "or control characters (results are named <stem>_<suffix>.<ext> inside the output folder)");
        return suffix;
    }

    public string NameFor(string input)
    {
        var ext = Extension is null ? Path.GetExtension(input) : "." + Extension;
        return Path.GetFileNameWithoutExtension(input) + (Suffix.Length > 0 ? "_" + Suffix : "") + ext;
    }
}
