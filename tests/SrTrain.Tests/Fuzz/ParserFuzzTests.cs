using System.Diagnostics;
using System.IO.Compression;
using SixLabors.ImageSharp;
using SrTrain.Config;
using SrTrain.Inference;
using SrTrain.Interop;
using SrTrain.Models;
using SrTrain.Runtime;
using SrTrain.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using P = SrTrain.Tests.Support.HostileFiles.Pickle;

namespace SrTrain.Tests.Fuzz;

/// <summary>Random mutations of valid files, with a fixed seed, through the real readers (issue 14): every case must
/// either load or end in one <see cref="SrTrainException"/> line; never another exception, a hang or a large allocation.
/// A failing case is written to /tmp with its seed and index, to reproduce it.</summary>
[Trait("Speed", "slow")]
public sealed class ParserFuzzTests : IDisposable
{
    const int Seed = 20261126;
    readonly ITestOutputHelper _log;
    readonly TempDir _dir = new("srtrain-fuzz");

    public ParserFuzzTests(ITestOutputHelper log)
    {
        _log = log;
        NativeRuntime.EnsureLoaded();
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>One to four random edits: random bytes, extreme integers, cuts, duplicated or deleted spans.</summary>
    static byte[] Mutate(byte[] original, Random rng, Func<Random, byte>? randomByte = null)
    {
        var b = new List<byte>(original);
        int edits = rng.Next(1, 5);
        for (int e = 0; e < edits && b.Count > 0; e++)
        {
            int at = rng.Next(b.Count);
            switch (rng.Next(6))
            {
                case 0:
                    for (int i = rng.Next(1, 4); i > 0 && at < b.Count; i--, at++) b[at] = randomByte?.Invoke(rng) ?? (byte)rng.Next(256);
                    break;
                case 1: // an extreme little-endian integer: sizes and lengths are where readers trust the file
                    {
                        var v = rng.Next(5) switch { 0 => 0xFFFFFFFFu, 1 => 0x7FFFFFFFu, 2 => 0x80000000u, 3 => 0u, _ => (uint)rng.Next() };
                        for (int i = 0; i < 4 && at + i < b.Count; i++) b[at + i] = (byte)(v >> (8 * i));
                        break;
                    }
                case 2:
                    b.RemoveRange(at, b.Count - at);
                    break;
                case 3:
                    {
                        int len = Math.Min(rng.Next(1, 64), b.Count - at);
                        b.InsertRange(rng.Next(b.Count), b.GetRange(at, len));
                        break;
                    }
                case 4:
                    b.RemoveRange(at, Math.Min(rng.Next(1, 16), b.Count - at));
                    break;
                default:
                    b.Insert(at, randomByte?.Invoke(rng) ?? (byte)rng.Next(256));
                    break;
            }
        }
        return b.ToArray();
    }

    /// <summary>Runs <paramref name="cases"/> mutations of <paramref name="seedFile"/> through <paramref name="read"/>.</summary>
    void Fuzz(string name, byte[] seedFile, int cases, Func<byte[], byte[]> mutate, Action<string> read, string extension)
    {
        var clock = Stopwatch.StartNew();
        long worstAllocation = 0;
        int loaded = 0, refused = 0;
        var path = _dir.File("case" + extension);
        for (int i = 0; i < cases; i++)
        {
            var bytes = mutate(seedFile);
            File.WriteAllBytes(path, bytes);
            long before = GC.GetTotalAllocatedBytes(precise: true);
            try
            {
                read(path);
                loaded++;
            }
            catch (SrTrainException e)
            {
                refused++;
                if (e.Message.Contains('\n')) Fail(name, i, bytes, extension, "multi-line message: " + e.Message);
            }
            catch (Exception e)
            {
                Fail(name, i, bytes, extension, e.ToString());
            }
            worstAllocation = Math.Max(worstAllocation, GC.GetTotalAllocatedBytes(precise: true) - before);
        }
        _log.WriteLine($"{name}: {cases} cases in {clock.Elapsed.TotalSeconds:F1} s, {loaded} loaded, {refused} refused, " +
                       $"largest managed allocation {worstAllocation >> 20} MB");
        Assert.True(worstAllocation < 256L << 20, $"{name}: a case allocated {worstAllocation >> 20} MB");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"{name}: {cases} cases took {clock.Elapsed.TotalSeconds:F0} s");
    }

    void Fail(string name, int index, byte[] bytes, string extension, string what)
    {
        // Deliberately outside the test's TempDir, which Dispose removes: the failing case stays for the user to reproduce.
        var keep = Path.Combine(Path.GetTempPath(), $"srtrain-fuzz-{name}-seed{Seed}-case{index}{extension}");
        File.WriteAllBytes(keep, bytes);
        Assert.Fail($"{name} case {index} (kept as {keep}): {what}");
    }

    static void LoadWeights(string path)
    {
        var sd = WeightFile.Read(path);
        foreach (var t in sd.Values) t.Dispose();
    }

    /// <summary>As `upscale --model` does: read, detect, build, load.</summary>
    static void LoadGenerator(string path)
    {
        using var net = NetworkFactory.LoadGenerator(path, out _);
    }

    static byte[] TinyGeneratorFile(string extension)
    {
        using var net = new SrVggNetCompact(3, 3, 4, 1, 2);
        using var dir = new TempDir("srtrain-fuzz-seed");
        var path = dir.File("seed" + extension);
        WeightFile.WriteGenerator(net, path);
        return File.ReadAllBytes(path);
    }

    [Fact]
    public void PthZip_MutatedFiles_LoadOrFailWithOneLine()
    {
        var seed = TinyGeneratorFile(".pth");
        var rng = new Random(Seed);
        Fuzz("pth-zip", seed, 500, b => Mutate(b, rng), LoadGenerator, ".pth");
    }

    [Fact]
    public void PthPickle_MutatedInsideAValidZip_LoadOrFailWithOneLine()
    {
        // Mutating the zip mostly trips its CRC; here the pickle itself is mutated and re-zipped, to reach the unpickler.
        var seed = TinyGeneratorFile(".pth");
        byte[] pickle;
        var storages = new List<(string, byte[])>();
        using (var zip = new ZipArchive(new MemoryStream(seed)))
        {
            pickle = ReadAll(zip.Entries.First(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal)));
            foreach (var e in zip.Entries.Where(e => e.FullName.Contains("/data/", StringComparison.Ordinal)))
                storages.Add((e.Name, ReadAll(e)));
        }
        var rng = new Random(Seed + 1);
        // Half of the edits write pickle opcodes, so that structure (marks, memo, dicts, tuples) gets mutated too.
        byte[] opcodes = "(}])tsuabRQqhN.KJMX\x85\x86\x87\x88\x89\x8a\x94\x95"u8.ToArray();
        Fuzz("pth-pickle", pickle, 1000,
            p => HostileFiles.TorchZip(Mutate(p, rng, r => r.Next(2) == 0 ? opcodes[r.Next(opcodes.Length)] : (byte)r.Next(256)), storages.ToArray()),
            LoadGenerator, ".pth");
    }

    [Fact]
    public void PthLegacy_MutatedFiles_LoadOrFailWithOneLine()
    {
        var magic = new P().Op(0x8a).Op(10).Op(0x6c).Op(0xfc).Op(0x9c).Op(0x46).Op(0xf9).Op(0x20).Op(0x6a).Op(0xa8).Op(0x50).Op(0x19).Stop();
        var obj = new P().EmptyDict()
            .Str("a").Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Long(6).Op('N').Tuple().PersId()
            .Long(0).Longs(2, 3).Longs(3, 1).Tuple().Reduce().Op('s')
            .Str("b").Global("torch._utils", "_rebuild_tensor").Mark()
            .Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Long(6).Mark().Str("0").Long(2).Long(4).Tuple().Tuple().PersId()
            .Long(0).Longs(4).Longs(1).Tuple().Reduce().Op('s').Stop();
        var data = new byte[8 + 24];
        data[0] = 6;
        var seed = magic.Concat(new P().Long(1001).Stop()).Concat(new P().EmptyDict().Stop()).Concat(obj)
            .Concat(new P().Op(']').Str("0").Op('a').Stop()).Concat(data).ToArray();
        File.WriteAllBytes(_dir.File("legacy.pth"), seed);
        var sd = WeightFile.Read(_dir.File("legacy.pth")); // the seed itself is valid
        Assert.Equal(new long[] { 2, 3 }, sd["a"].shape);
        foreach (var t in sd.Values) t.Dispose();
        var rng = new Random(Seed + 2);
        Fuzz("pth-legacy", seed, 600, b => Mutate(b, rng), LoadWeights, ".pth");
    }

    [Fact]
    public void Safetensors_MutatedFiles_LoadOrFailWithOneLine()
    {
        var seed = TinyGeneratorFile(".safetensors");
        var rng = new Random(Seed + 3);
        byte[] json = "{}[]\",:0123456789-eE"u8.ToArray();
        Fuzz("safetensors", seed, 800, b => Mutate(b, rng, r => r.Next(2) == 0 ? json[r.Next(json.Length)] : (byte)r.Next(256)),
            LoadGenerator, ".safetensors");
    }

    [Fact]
    public void Png_MutatedFiles_LoadOrFailWithOneLine()
    {
        var seedPath = _dir.File("seed.png");
        using (var img = SrTrain.Tests.Cli.UpscaleCliHarness.PhotoCrop(16, 12)) img.Save(seedPath);
        var seed = File.ReadAllBytes(seedPath);
        var rng = new Random(Seed + 4);
        Fuzz("png", seed, 800, b => Mutate(b, rng), path =>
        {
            using var input = UpscaleImageIO.Read(path);
        }, ".png");
    }

    [Fact]
    public void Yaml_MutatedConfigs_LoadOrFailWithOneLine()
    {
        var configs = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "configs");
        var seed = File.ReadAllBytes(Path.Combine(configs, "quickstart.yaml"));
        var rng = new Random(Seed + 5);
        byte[] yaml = "[]{}:-&*!|>'\"#%@`,? \n\t0123456789.eE~"u8.ToArray();
        Fuzz("yaml", seed, 1500, b => Mutate(b, rng, r => yaml[r.Next(yaml.Length)]), path => ConfigLoader.LoadFile(path), ".yaml");
    }

    static byte[] ReadAll(ZipArchiveEntry e)
    {
        using var s = e.Open();
        var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }
}
