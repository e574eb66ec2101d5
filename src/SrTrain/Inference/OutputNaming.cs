namespace SrTrain.Inference;

/// <summary>How results are named: <c>&lt;stem&gt;_&lt;suffix&gt;.&lt;ext&gt;</c> (Real-ESRGAN's <c>--suffix</c> and
/// <c>--ext</c>). An empty suffix keeps the input's stem; a null extension keeps the input's.</summary>
public sealed record OutputNaming(string Suffix, string? Extension = null)
{
    public string NameFor(string input)
    {
        var ext = Extension is null ? Path.GetExtension(input) : "." + Extension;
        return Path.GetFileNameWithoutExtension(input) + (Suffix.Length > 0 ? "_" + Suffix : "") + ext;
    }
}
