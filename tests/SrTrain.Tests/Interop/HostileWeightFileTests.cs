using SrTrain.Interop;
using SrTrain.Models;
using SrTrain.Runtime;
using SrTrain.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using P = SrTrain.Tests.Support.HostileFiles.Pickle;

namespace SrTrain.Tests.Interop;

/// <summary>The weight-file half of the hostile-input corpus (issue 14): each crafted .pth/.safetensors goes through
/// the real reader and must end in one <see cref="SrTrainException"/> line naming the file, quickly, without the
/// allocation the file asks for. The same files go through the real CLI in HostileInputCliTests.</summary>
public class HostileWeightFileTests : IDisposable
{
    readonly TempDir _tmp = new("srtrain-hostile");

    public HostileWeightFileTests()
    {
        NativeRuntime.EnsureLoaded();
    }

    public void Dispose() => _tmp.Dispose();

    string Write(string name, byte[] bytes)
    {
        var path = _tmp.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Loads as `upscale --model` does, on a worker thread so that a hang fails the test instead of the suite,
    /// and returns the error. Managed allocation is bounded as well (native memory is checked through the CLI).</summary>
    static string Refused(string path)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var task = Task.Run(() =>
        {
            using var net = NetworkFactory.LoadGenerator(path, out _);
        });
        try { Assert.True(task.Wait(TimeSpan.FromSeconds(60)), $"loading {path} did not finish within 60 s"); }
        catch (AggregateException) { }
        var e = Assert.IsType<SrTrainException>(task.Exception?.InnerException);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains(Path.GetFileName(path), e.Message);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 256L << 20, "more than 256 MB allocated for a refused file");
        return e.Message;
    }

    // --- crafted files, shared with the CLI tests ---

    /// <summary>d = {}; d['params'] = d: the container unwrapping used to follow it forever.</summary>
    public static byte[] SelfContainingDict() =>
        HostileFiles.TorchZip(new P().EmptyDict().Put(0).Str("params").Get(0).SetItem().Stop());

    /// <summary>One stored float, read as a 12000² tensor through stride 0 (576 MB from 514 bytes).</summary>
    public static byte[] StrideZeroTensor() =>
        HostileFiles.TorchZip(new P().EmptyDict().Str("w").Tensor("0", 1, 0, [12000, 12000], [0, 0]).SetItem().Stop(),
            ("0", new byte[4]));

    /// <summary>An RRDBNet whose conv_first declares 3000 features: the network built from it would take 1.3 GB,
    /// while the file holds 216000 floats, all its tensors views of one storage.</summary>
    public static byte[] OversizedRrdbNet()
    {
        const long n = 8 * 3000 * 9;
        var p = new P().EmptyDict()
            .Str("conv_first.weight").Tensor("0", n, 0, [3000, 3, 3, 3], [27, 9, 3, 1]).SetItem()
            .Str("body.0.rdb1.conv1.weight").Tensor("0", n, 0, [8, 3000, 3, 3], [27000, 9, 3, 1]).SetItem()
            .Str("conv_last.weight").Tensor("0", n, 0, [3, 3000, 3, 3], [27000, 9, 3, 1]).SetItem();
        return HostileFiles.TorchZip(p.Stop(), ("0", new byte[n * 4]));
    }

    /// <summary>Twenty storage names that alias one deflated blob of 100 MB of zeros (104 KB on disk).</summary>
    public static byte[] AliasedZipEntries()
    {
        const long size = 100L << 20;
        var p = new P().EmptyDict();
        for (int i = 0; i < 20; i++) p.Str($"w{i}").Tensor($"{i}", size / 4, 0, [size / 4], [1]).SetItem();
        var zip = new HostileFiles.RawZip();
        zip.Add("archive/data.pkl", p.Stop());
        zip.AddDeflated("archive/data/0", HostileFiles.DeflatedZeros(size), HostileFiles.Crc32OfZeros(size), size);
        for (int i = 1; i < 20; i++) zip.Alias($"archive/data/{i}", "archive/data/0");
        return zip.ToArray();
    }

    /// <summary>A zip entry that declares 2^31 − 2 bytes and holds 4.</summary>
    public static byte[] HugeDeclaredEntry()
    {
        var zip = new HostileFiles.RawZip();
        zip.Add("archive/data.pkl", new P().EmptyDict().Str("w").Tensor("0", 1, 0, [1], [1]).SetItem().Stop());
        zip.Add("archive/data/0", new byte[4], declaredSize: int.MaxValue - 1);
        return zip.ToArray();
    }

    [Fact]
    public void SelfContainingDict_IsRefused_InsteadOfLoopingForever()
    {
        var msg = Refused(Write("self.pth", SelfContainingDict()));
        Assert.Contains("contains itself", msg);
    }

    [Fact]
    public void DeeplyNestedContainers_AreRefused()
    {
        // {'params': {'params': ... 200 levels ... }} without a cycle.
        var p = new P();
        for (int i = 0; i < 200; i++) p.EmptyDict().Str("params");
        p.EmptyDict();
        for (int i = 0; i < 200; i++) p.SetItem();
        var msg = Refused(Write("deep.pth", HostileFiles.TorchZip(p.Stop())));
        Assert.Contains("SRTRAIN_MAX_NESTING", msg);
    }

    [Fact]
    public void PickleMarksNestedBeyondTheLimit_AreRefused()
    {
        var p = new P();
        for (int i = 0; i < 5000; i++) p.Mark();
        Assert.Contains("nests deeper", Refused(Write("marks.pth", HostileFiles.TorchZip(p.Stop()))));
    }

    [Fact]
    public void PickleBuildingMillionsOfObjects_IsRefused_BeforeTheyFillMemory()
    {
        // 6 MB of `]a` appends three million lists to one: each costs far more memory than its two bytes.
        var p = new P().Op(']');
        for (int i = 0; i < 3_000_000; i++) p.Op(']').Op('a');
        Assert.Contains("objects", Refused(Write("lists.pth", HostileFiles.TorchZip(p.Stop()))));
    }

    [Fact]
    public void StrideZeroTensor_IsRefused_BeforeAllocating()
    {
        Assert.Contains("overlaps itself", Refused(Write("stride0.pth", StrideZeroTensor())));
    }

    [Fact]
    public void NetworkDeclaredLargerThanTheFile_IsRefused_BeforeBuildingIt()
    {
        var msg = Refused(Write("rrdb3000.pth", OversizedRrdbNet()));
        Assert.Contains("num_feat 3000", msg);
    }

    [Fact]
    public void AliasedZipEntries_AreRefused_FromTheirDeclaredSizes()
    {
        Assert.Contains("SRTRAIN_MAX_WEIGHT_MB", Refused(Write("alias.pth", AliasedZipEntries())));
    }

    [Fact]
    public void ZipEntryDeclaring2GB_IsRefused()
    {
        Assert.Contains("SRTRAIN_MAX_WEIGHT_MB", Refused(Write("huge-entry.pth", HugeDeclaredEntry())));
    }

    [Fact]
    public void RaisingTheWeightLimit_LetsALargeGenuineFileThrough_AndLoweringItRefusesIt()
    {
        // A genuine 64 MB tensor: refused under SRTRAIN_MAX_WEIGHT_MB=16, read with the default.
        var path = _tmp.File("big.safetensors");
        using (var t = torch.zeros(new long[] { 16L << 20 }, device: torch.CPU))
            WeightFile.Write(new Dictionary<string, Tensor> { ["w"] = t }, path);
        var old = Environment.GetEnvironmentVariable("SRTRAIN_MAX_WEIGHT_MB");
        try
        {
            Environment.SetEnvironmentVariable("SRTRAIN_MAX_WEIGHT_MB", "16");
            var e = Assert.Throws<SrTrainException>(() => WeightFile.Read(path));
            Assert.Contains("SRTRAIN_MAX_WEIGHT_MB", e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SRTRAIN_MAX_WEIGHT_MB", old);
        }
        var sd = WeightFile.Read(path);
        Assert.Equal(16L << 20, sd["w"].numel());
        foreach (var t in sd.Values) t.Dispose();
    }

    [Theory]
    [InlineData("size-overflow", new long[] { 1L << 62, 4 }, new long[] { 1, 1 }, "overflow")]
    [InlineData("stride-overflow", new long[] { 2, 2 }, new long[] { 1L << 62, 1L << 62 }, "overflow")]
    [InlineData("outside", new long[] { 8 }, new long[] { 1 }, "reaches element")]
    public void BadSizesAndStrides_AreRefused(string name, long[] size, long[] stride, string expected)
    {
        var bytes = HostileFiles.TorchZip(new P().EmptyDict().Str("w").Tensor("0", 4, 0, size, stride).SetItem().Stop(), ("0", new byte[16]));
        Assert.Contains(expected, Refused(Write(name + ".pth", bytes)));
    }

    [Fact]
    public void StorageLengthNotAMultipleOfTheElementSize_IsRefused()
    {
        var bytes = HostileFiles.TorchZip(new P().EmptyDict().Str("w").Tensor("0", 1, 0, [1], [1]).SetItem().Stop(), ("0", new byte[5]));
        Assert.Contains("not a multiple", Refused(Write("odd.pth", bytes)));
    }

    [Fact]
    public void LegacyViewOutsideItsStorage_IsRefused()
    {
        // Legacy layout: magic, protocol, sys info, the object (a view (key, offset 100, size 4) of a 4-float storage),
        // the storage keys, then the storage: int64 count and its bytes.
        var magic = new P().Op(0x8a).Op(10).Op(0x6c).Op(0xfc).Op(0x9c).Op(0x46).Op(0xf9).Op(0x20).Op(0x6a).Op(0xa8).Op(0x50).Op(0x19).Stop();
        var protocol = new P().Long(1001).Stop();
        var sys = new P().EmptyDict().Stop();
        var obj = new P().EmptyDict().Str("w")
            .Global("torch._utils", "_rebuild_tensor").Mark()
            .Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Long(4)
            .Mark().Str("0").Long(100).Long(4).Tuple().Tuple().PersId()
            .Long(0).Longs(4).Longs(1).Tuple().Reduce().SetItem().Stop();
        var keys = new P().Op(']').Str("0").Op('a').Stop();
        var data = new byte[8 + 16];
        data[0] = 4;
        var bytes = magic.Concat(protocol).Concat(sys).Concat(obj).Concat(keys).Concat(data).ToArray();
        Assert.Contains("outside its storage", Refused(Write("legacy-view.pth", bytes)));
    }

    [Fact]
    public void RrdbNetWithOneDimensionalConvFirst_IsRefused()
    {
        var sd = new Dictionary<string, Tensor>
        {
            ["conv_first.weight"] = torch.zeros(new long[] { 16 }, device: torch.CPU),
            ["body.0.rdb1.conv1.weight"] = torch.zeros(new long[] { 8, 16, 3, 3 }, device: torch.CPU),
            ["conv_last.weight"] = torch.zeros(new long[] { 3, 16, 3, 3 }, device: torch.CPU),
        };
        var path = _tmp.File("rrdb-1d.pth");
        WeightFile.Write(sd, path);
        foreach (var t in sd.Values) t.Dispose();
        Assert.Contains("4 dimensions", Refused(path));
    }

    [Theory]
    [InlineData("shape-2-62", """{"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}""", "overflows")]
    [InlineData("duplicate", """{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "twice")]
    [InlineData("negative", """{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "impossible shape")]
    [InlineData("not-object", """{"w":[1,2]}""", "JSON object")]
    public void MalformedSafetensors_AreRefused(string name, string header, string expected)
    {
        var path = Write(name + ".safetensors", HostileFiles.Safetensors(header.PadRight(header.Length + (8 - header.Length % 8) % 8), new byte[4]));
        Assert.Contains(expected, Refused(path));
    }

    [Fact]
    public void SafetensorsEntriesThatOverlap_AreCountedAgainstTheLimit()
    {
        // 400 names for the same 4 MB: 1.6 GB of tensors from a 4 MB file.
        var header = "{" + string.Join(",", Enumerable.Range(0, 400).Select(i => $"\"w{i}\":{{\"dtype\":\"F32\",\"shape\":[{1 << 20}],\"data_offsets\":[0,{4 << 20}]}}")) + "}";
        var path = Write("overlap.safetensors", HostileFiles.Safetensors(header, new byte[4 << 20]));
        Assert.Contains("SRTRAIN_MAX_WEIGHT_MB", Refused(path));
    }

    [Fact]
    public void ParameterCount_MatchesTheBuiltNetworks()
    {
        foreach (var (spec, net) in new (GeneratorSpec, nn.Module<Tensor, Tensor>)[]
                 {
                     (new(GeneratorSpec.RrdbNet, 4, 3, 3, 8, 2, 4), new RrdbNet(3, 3, 4, 8, 2, 4)),
                     (new(GeneratorSpec.RrdbNet, 2, 3, 3, 8, 1, 4), new RrdbNet(3, 3, 2, 8, 1, 4)),
                     (new(GeneratorSpec.RrdbNet, 8, 3, 3, 8, 1, 4), new RrdbNet(3, 3, 8, 8, 1, 4)),
                     (new(GeneratorSpec.MsrResNet, 4, 3, 3, 8, 2, 0), new MsrResNet(3, 3, 8, 2, 4)),
                     (new(GeneratorSpec.MsrResNet, 3, 3, 3, 8, 2, 0), new MsrResNet(3, 3, 8, 2, 3)),
                     (new(GeneratorSpec.SrVggNetCompact, 4, 3, 3, 8, 3, 0), new SrVggNetCompact(3, 3, 8, 3, 4)),
                 })
        {
            using (net)
                Assert.Equal(net.state_dict().Values.Sum(t => t.numel()), spec.ParameterCount());
        }
    }

    /// <summary>A tiny SRVGGNetCompact x4 whose weights all hold <paramref name="value"/> (NaN, ±∞, or a huge finite
    /// number whose products overflow), written to <paramref name="path"/> (.pth or .safetensors).</summary>
    internal static void WriteBrokenGenerator(string path, float value)
    {
        using var net = new SrVggNetCompact(3, 3, 8, 2, 4);
        using (torch.no_grad())
            foreach (var w in net.parameters()) w.fill_(value);
        WeightFile.WriteGenerator(net, path);
    }

    [Theory]
    [InlineData("nan.pth", float.NaN)]
    [InlineData("inf.safetensors", float.PositiveInfinity)]
    [InlineData("neginf.pth", float.NegativeInfinity)]
    public void NonFiniteWeights_AreRefusedOnLoad(string name, float value)
    {
        // Such a file once loaded and gave black images with exit code 0.
        var path = _tmp.File(name);
        WriteBrokenGenerator(path, value);
        Assert.Contains("NaN or infinite", Refused(path));
    }
}
