using SrTrain.Data;
using SrTrain.Runtime;
using SrTrain.Tests.Support;

namespace SrTrain.Tests.Data;

/// <summary>datasets.train.meta_info read as BasicSR's datasets read it: RealESRGANDataset's GT list (first word per
/// line, relative to dataroot_gt), RealESRGANPairedDataset's "gt, lq" pairs (relative to dataroot_gt / dataroot_lq).</summary>
public class MetaInfoTests
{
    public MetaInfoTests() => NativeRuntime.EnsureLoaded();

    static readonly string Images = Path.Combine(AppContext.BaseDirectory, "TestData", "Data");

    /// <summary>gt/ and lq/ folders with the x4 pairs in sub-folders, as DF2K's meta_info lists them.</summary>
    static (TempDir Dir, string Gt, string Lq) Folders()
    {
        var dir = new TempDir();
        var gt = Path.Combine(dir.Path, "gt");
        var lq = Path.Combine(dir.Path, "lq");
        foreach (var (folder, suffix) in new[] { (gt, "hq"), (lq, "lqx4") })
        {
            Directory.CreateDirectory(Path.Combine(folder, "sub"));
            File.Copy(Path.Combine(Images, $"chelsea_{suffix}.png"), Path.Combine(folder, "sub", $"chelsea_{suffix}.png"));
            File.Copy(Path.Combine(Images, $"coffee_{suffix}.png"), Path.Combine(folder, $"coffee_{suffix}.png"));
        }
        // Not listed: never used.
        File.Copy(Path.Combine(Images, "camera.png"), Path.Combine(gt, "camera.png"));
        return (dir, gt, lq);
    }

    [Fact]
    public void GtList_TakesTheFirstWordOfEachLine_InItsOrder_AndOnlyWhatItLists()
    {
        var (dir, gt, _) = Folders();
        using var _d = dir;
        var meta = Path.Combine(dir.Path, "meta_info.txt");
        // Real-ESRGAN's generate_meta_info.py writes "path (h,w,c)"-style lines; RealESRGANDataset keeps the first word.
        File.WriteAllText(meta, "coffee_hq.png (400,600,3)\nsub/chelsea_hq.png (300,451,3)\n\n");
        var sink = new CollectingSink();
        var catalog = ImageCatalog.Scan(gt, null, 4, 32, false, long.MaxValue, sink.CreateLogger(), meta);
        Assert.Equal(new[] { Path.Combine(gt, "coffee_hq.png"), Path.Combine(gt, "sub/chelsea_hq.png") }, catalog.Entries.Select(e => e.HqPath));
        Assert.Equal(new[] { "coffee_hq", "sub/chelsea_hq" }, catalog.Entries.Select(e => e.Name));
        Assert.All(catalog.Entries, e => Assert.Null(e.LqPath));
        Assert.Empty(sink.Warnings);
    }

    [Fact]
    public void PairedList_ReadsGtAndLqRelativeToTheirFolders()
    {
        var (dir, gt, lq) = Folders();
        using var _d = dir;
        var meta = Path.Combine(dir.Path, "meta_info_pair.txt");
        // RealESRGANPairedDataset: line.strip().split(', ').
        File.WriteAllText(meta, "sub/chelsea_hq.png, sub/chelsea_lqx4.png\ncoffee_hq.png, coffee_lqx4.png\n");
        var catalog = ImageCatalog.Scan(gt, lq, 4, 32, false, long.MaxValue, new CollectingSink().CreateLogger(), meta);
        Assert.Equal(2, catalog.Entries.Count);
        Assert.Equal(Path.Combine(gt, "sub/chelsea_hq.png"), catalog.Entries[0].HqPath);
        Assert.Equal(Path.Combine(lq, "sub/chelsea_lqx4.png"), catalog.Entries[0].LqPath);
        Assert.Equal(Path.Combine(lq, "coffee_lqx4.png"), catalog.Entries[1].LqPath);
    }

    [Fact]
    public void ListedFileThatIsMissing_IsSkippedWithAWarning_AsAnUnreadableOne()
    {
        var (dir, gt, lq) = Folders();
        using var _d = dir;
        var meta = Path.Combine(dir.Path, "meta.txt");
        File.WriteAllText(meta, "coffee_hq.png, coffee_lqx4.png\ngone.png, gone_lq.png\nsub/chelsea_hq.png, missing_lq.png\n");
        var sink = new CollectingSink();
        var catalog = ImageCatalog.Scan(gt, lq, 4, 32, false, long.MaxValue, sink.CreateLogger(), meta);
        Assert.Single(catalog.Entries);
        Assert.Equal(2, catalog.SkippedCount);
        Assert.Contains(sink.Warnings, w => w.Contains("gone.png") && w.Contains("(line 2) but not found"));
        Assert.Contains(sink.Warnings, w => w.Contains("missing_lq.png") && w.Contains("(line 3) but not found"));
    }

    [Fact]
    public void EmptyList_OrOneWithNothingUsable_IsAnErrorNamingTheFile()
    {
        var (dir, gt, _) = Folders();
        using var _d = dir;
        var meta = Path.Combine(dir.Path, "empty.txt");
        File.WriteAllText(meta, "\n\n");
        var e = Assert.Throws<SrTrainException>(() => ImageCatalog.Scan(gt, null, 4, 32, false, long.MaxValue, new CollectingSink().CreateLogger(), meta));
        Assert.Equal($"datasets.train.meta_info: {meta} lists no image (it is empty)", e.Message);

        File.WriteAllText(meta, "nothing_here.png\n");
        e = Assert.Throws<SrTrainException>(() => ImageCatalog.Scan(gt, null, 4, 32, false, long.MaxValue, new CollectingSink().CreateLogger(), meta));
        Assert.Contains($"datasets.train.meta_info: {meta} lists 1 image(s) under {gt}, none usable (1 skipped", e.Message);

        e = Assert.Throws<SrTrainException>(() => ImageCatalog.Scan(gt, null, 4, 32, false, long.MaxValue, new CollectingSink().CreateLogger(),
            Path.Combine(dir.Path, "absent.txt")));
        Assert.Contains("datasets.train.meta_info: ", e.Message);
        Assert.Contains("absent.txt not found", e.Message);
    }
}
