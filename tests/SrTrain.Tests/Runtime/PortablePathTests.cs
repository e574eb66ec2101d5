using System.Text;
using SrTrain.Runtime;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Runtime;

/// <summary>The portable halves of the Windows file fixes (issue 21). What only Windows does — refusing an open whose
/// sharing conflicts, case-blind names, GetFinalPathNameByHandle — is checked by the Wine smoke
/// (WindowsSmokeTests); these check the same code where Linux can.</summary>
public class PortablePathTests
{
    [Theory]
    [InlineData(@"\\?\C:\runs\a", @"C:\runs\a")]
    [InlineData(@"\\?\UNC\server\share\runs", @"\\server\share\runs")]
    [InlineData(@"Z:\tmp\x", @"Z:\tmp\x")]
    public void FinalPathNames_LoseTheirVerbatimPrefix(string final, string expected) =>
        Assert.Equal(expected, RealPath.WithoutVerbatimPrefix(final));

    [Fact]
    public void RealPath_ResolvesALinkToTheFolderItPointsTo_AndKeepsAMissingTail()
    {
        using var dir = new TempDir();
        var target = Directory.CreateDirectory(dir.File("inputs")).FullName;
        Directory.CreateSymbolicLink(dir.File("out"), target);
        Assert.Equal(Path.Combine(RealPath.Of(target), "a_x4.png"), RealPath.Of(dir.File("out", "a_x4.png")));
        Assert.True(RealPath.Same(RealPath.Of(dir.File("out")), RealPath.Of(target)));
    }

    [Fact]
    public void RealPath_ComparesCaseBlindOnlyWhereTheFileSystemIs()
    {
        Assert.Equal(OperatingSystem.IsWindows(), RealPath.Same("/runs/Foo_x4.png", "/runs/foo_x4.png"));
    }

    [Fact]
    public void SharedRead_ReadsAFileThatAWriterHoldsOpen_AndSeesWhatItFlushed()
    {
        using var dir = new TempDir();
        var path = dir.File("metrics.jsonl");
        // The writer's sharing is MetricsLog's: readers only. Windows then refuses File.ReadLines (which shares read
        // only, conflicting with the writer's write access); SharedRead shares write and delete.
        using var writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false))
        {
            NewLine = "\n",
        };
        writer.WriteLine("{\"kind\":\"train\",\"step\":1}");
        writer.Flush();
        Assert.Equal(["{\"kind\":\"train\",\"step\":1}"], SharedRead.ReadLines(path).ToArray());
        writer.WriteLine("× ≈ ·");
        writer.Flush();
        Assert.Equal("{\"kind\":\"train\",\"step\":1}\n× ≈ ·\n", SharedRead.ReadAllText(path));
        Assert.Equal(Encoding.UTF8.GetBytes("{\"kind\":\"train\",\"step\":1}\n× ≈ ·\n"), SharedRead.ReadAllBytes(path));
    }

    [Fact]
    public void SharedRead_DoesNotBlockAnAtomicRenameOverTheFileItReads()
    {
        using var dir = new TempDir();
        var path = dir.File("latest");
        File.WriteAllText(path, "10");
        using var reading = SharedRead.Open(path);
        File.WriteAllText(dir.File("latest.tmp"), "20");
        File.Move(dir.File("latest.tmp"), path, overwrite: true);
        Assert.Equal("20", SharedRead.ReadAllText(path));
    }
}
