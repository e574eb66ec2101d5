namespace SrTrain.Tests.Support;

/// <summary>The repository the tests were built from (the folder with SrTrain.sln above the test binaries), for
/// tests that check committed files or run the repo's scripts.</summary>
public static class Repo
{
    public static string Root { get; } = Find();

    /// <summary>A path inside the repository, e.g. File("configs", "srtrain.schema.json").</summary>
    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    static string Find()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null && !System.IO.File.Exists(Path.Combine(d.FullName, "SrTrain.sln"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("SrTrain.sln not found above the test binaries");
    }
}
