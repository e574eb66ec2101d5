namespace SrTrain.Tests.Support;

/// <summary>A fresh folder under the system temp folder, removed with everything in it by Dispose. Tests use this one
/// helper instead of making their own temp folders.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "srtrain-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>The path of <paramref name="parts"/> inside the folder. A part may name subfolders with '/'
    /// ("out/a_x4.png"); they are joined with the system's separator, so the path equals the one the program builds
    /// with Path.Combine on Windows too.</summary>
    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts.SelectMany(p => p.Split('/'))]);

    public override string ToString() => Path;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }   // already gone, or a file still open: the system cleans its temp folder
    }
}
