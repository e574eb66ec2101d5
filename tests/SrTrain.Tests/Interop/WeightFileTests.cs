using System.Text;
using SrTrain.Interop;
using SrTrain.Runtime;
using SrTrain.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Tests.Interop;

public class WeightFileTests : IDisposable
{
    static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "TestData", "Interop");
    readonly TempDir _tmp = new("srtrain-interop");

    public WeightFileTests()
    {
        NativeRuntime.EnsureLoaded();
    }

    public void Dispose() => _tmp.Dispose();

    // Real-PyTorch reference files are shared with the network tests (TestData/Reference); the py_* files are this area's own.
    static string Data(string name) => name.StartsWith("py_", StringComparison.Ordinal) ? Path.Combine(Dir, name) : SrTrain.Tests.Models.ReferenceData.PathOf(name);

    /// <summary>Same shape and every element exactly equal.</summary>
    static bool Same(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && (a.numel() == 0 || a.eq(b).all().item<bool>());

    static void AssertSameTensors(IReadOnlyDictionary<string, Tensor> a, IReadOnlyDictionary<string, Tensor> b)
    {
        Assert.Equal(a.Keys.ToList(), b.Keys.ToList());
        foreach (var (k, t) in a)
        {
            Assert.Equal(t.shape, b[k].shape);
            Assert.Equal(t.dtype, b[k].dtype);
            Assert.True(Same(t, b[k]), k); // elementwise, exact
        }
    }

    [Fact]
    public void Read_GivesSameTensors_ForPlainAndParamsEmaWrappedFiles()
    {
        var plain = WeightFile.Read(Data("rrdbnet_x4_nf16_nb2_gc8.pth"));
        var wrapped = WeightFile.Read(Data("rrdbnet_x4_nf16_nb2_gc8.params_ema.pth"));
        AssertSameTensors(plain, wrapped);
        // RRDBNet x4 nf16 nb2: conv_first + 2 blocks x 3 RDBs x 5 convs + conv_body, up1, up2, hr, last, each weight+bias.
        Assert.Equal((1 + 2 * 3 * 5 + 5) * 2, plain.Count);
        Assert.Equal("conv_first.weight", plain.Keys.First());
        Assert.Equal(new long[] { 16, 3, 3, 3 }, plain["conv_first.weight"].shape);
        Assert.Equal(new long[] { 8, 16, 3, 3 }, plain["body.0.rdb1.conv1.weight"].shape);
        Assert.Equal(ScalarType.Float32, plain["conv_last.bias"].dtype);
        // Random init is not zero: a reader that half-fills tensors would leave zeros at the end.
        Assert.True(plain["body.1.rdb3.conv5.weight"].abs().sum().item<float>() > 0);
        Assert.NotEqual(0f, plain["body.1.rdb3.conv5.weight"].flatten()[-1].item<float>());
    }

    [Fact]
    public void Read_GivesSameTensors_ForLegacyAndZipFormats()
    {
        var zip = WeightFile.Read(Data("vgg16_features_to_relu3_3.pth"));
        var legacy = WeightFile.Read(Data("vgg16_features_to_relu3_3.legacy.pth"));
        AssertSameTensors(zip, legacy);
        Assert.Equal(14, zip.Count); // 7 convs up to relu3_3, weight + bias
        Assert.Equal(new long[] { 256, 256, 3, 3 }, legacy["features.14.weight"].shape);
        Assert.NotEqual(0f, legacy["features.14.weight"].flatten()[-1].item<float>());
    }

    [Fact]
    public void Read_KeepsSpectralNormKeys_AndIntegerBuffers()
    {
        var sd = WeightFile.Read(Data("unet_disc_sn_nf8.pth"));
        Assert.Contains("conv1.weight_orig", sd.Keys);
        Assert.Contains("conv1.weight_u", sd.Keys);
        Assert.Contains("conv1.weight_v", sd.Keys);
        Assert.DoesNotContain("conv1.weight", sd.Keys);
        Assert.Equal(new long[] { 16 }, sd["conv1.weight_u"].shape); // u has out-channels entries (nf*2 = 16)
    }

    [Theory]
    [InlineData("rrdbnet_x4_nf16_nb2_gc8.pth", 4, 16, 2, 8, 3)]
    [InlineData("rrdbnet_x4_nf16_nb2_gc8.params_ema.pth", 4, 16, 2, 8, 3)]
    [InlineData("rrdbnet_x2_nf16_nb1_gc8.pth", 2, 16, 1, 8, 3)]
    public void Detect_MatchesManifestArch_ForReferenceRrdbNets(string file, int scale, int feat, int blocks, int grow, int ch)
    {
        var (spec, _) = WeightFile.ReadGenerator(Data(file));
        Assert.Equal(new GeneratorSpec(GeneratorSpec.RrdbNet, scale, ch, ch, feat, blocks, grow), spec);
    }

    [Fact]
    public void OldEsrganLayout_IsRenamedToBasicSrKeys_AndDetected()
    {
        var basic = WeightFile.Read(Data("rrdbnet_x4_nf16_nb2_gc8.pth"));
        var old = new Dictionary<string, Tensor>();
        foreach (var (k, t) in basic) old[ToOldLayout(k, numBlock: 2)] = t;
        Assert.Contains("model.1.sub.1.RDB3.conv5.0.weight", old.Keys);
        Assert.Contains("model.10.bias", old.Keys);
        Assert.True(GeneratorKeys.IsOldEsrganLayout(old));

        var renamed = GeneratorKeys.ToBasicSr(old, "old.pth");
        Assert.Equal(basic.Keys.ToList(), renamed.Keys.ToList()); // same names, BasicSR order
        foreach (var k in basic.Keys) Assert.Same(basic[k], renamed[k]);
        Assert.Equal(new GeneratorSpec("RRDBNet", 4, 3, 3, 16, 2, 8), GeneratorSpec.Detect(renamed, "old.pth"));
    }

    /// <summary>The reverse of GeneratorKeys' mapping, for x4 (model.3/6 upconvs, model.8 hr, model.10 last).</summary>
    static string ToOldLayout(string key, int numBlock)
    {
        var parts = key.Split('.');
        string suffix = parts[^1];
        return parts[0] switch
        {
            "conv_first" => $"model.0.{suffix}",
            "body" => $"model.1.sub.{parts[1]}.RDB{parts[2][3..]}.{parts[3]}.0.{suffix}",
            "conv_body" => $"model.1.sub.{numBlock}.{suffix}",
            "conv_up1" => $"model.3.{suffix}",
            "conv_up2" => $"model.6.{suffix}",
            "conv_hr" => $"model.8.{suffix}",
            "conv_last" => $"model.10.{suffix}",
            _ => throw new ArgumentException(key),
        };
    }

    [Fact]
    public void Detect_RecognisesMsrResNet_AndRejectsUnknownLayouts()
    {
        using var scope = torch.NewDisposeScope();
        var sd = new Dictionary<string, Tensor>
        {
            ["conv_first.weight"] = torch.zeros(32, 3, 3, 3),
            ["body.0.conv1.weight"] = torch.zeros(32, 32, 3, 3),
            ["body.1.conv1.weight"] = torch.zeros(32, 32, 3, 3),
            ["upconv1.weight"] = torch.zeros(32 * 9, 32, 3, 3),
            ["conv_hr.weight"] = torch.zeros(32, 32, 3, 3),
            ["conv_last.weight"] = torch.zeros(3, 32, 3, 3),
        };
        Assert.Equal(new GeneratorSpec("MSRResNet", 3, 3, 3, 32, 2, 0), GeneratorSpec.Detect(sd, "m.pth"));

        var vgg = WeightFile.Read(Data("vgg16_features_to_relu3_3.pth"));
        var e = Assert.Throws<SrTrainException>(() => GeneratorSpec.Detect(vgg, "vgg.pth"));
        Assert.Contains("vgg.pth", e.Message);
        Assert.Contains("RRDBNet", e.Message);
        Assert.Contains("MSRResNet", e.Message);
    }

    [Theory]
    [InlineData("plain.pth", PthWrapping.Plain)]
    [InlineData("ema.pth", PthWrapping.ParamsEma)]
    [InlineData("w.safetensors", PthWrapping.ParamsEma)]
    public void WriteThenRead_GivesIdenticalTensors(string name, PthWrapping wrapping)
    {
        var sd = new OrderedDictionary<string, Tensor>();
        foreach (var (k, v) in WeightFile.Read(Data("rrdbnet_x2_nf16_nb1_gc8.pth"))) sd.Add(k, v);
        sd.Add("bn.num_batches_tracked", torch.tensor(1234567890123L));
        sd.Add("view.weight", torch.arange(24, dtype: ScalarType.Float32).reshape(4, 6).t()); // non-contiguous
        sd.Add("empty", torch.zeros(0, 3));
        var path = _tmp.File(name);
        WeightFile.Write(sd, path, wrapping);
        var back = WeightFile.Read(path);
        AssertSameTensors(sd, back);
        Assert.Equal(ScalarType.Int64, back["bn.num_batches_tracked"].dtype);
    }

    [Fact]
    public void WrittenPth_HasTorchSaveLayout()
    {
        var path = _tmp.File("g.pth");
        using var net = nn.Sequential(("0", nn.Conv2d(3, 4, 3)), ("1", nn.BatchNorm2d(4)));
        WeightFile.WriteGenerator(net, path);
        using var zip = System.IO.Compression.ZipFile.OpenRead(path);
        var names = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Equal(["archive/data.pkl", "archive/byteorder", "archive/data/0", "archive/data/1", "archive/data/2",
            "archive/data/3", "archive/data/4", "archive/data/5", "archive/data/6", "archive/version"], names);
        var sd = WeightFile.Read(path);
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"], sd.Keys);
        Assert.True(Same(sd["0.weight"], net.state_dict()["0.weight"]));
    }

    sealed class Tiny : nn.Module<Tensor, Tensor>
    {
        readonly TorchSharp.Modules.Conv2d conv_first = nn.Conv2d(3, 4, 3);
        readonly TorchSharp.Modules.Conv2d conv_last = nn.Conv2d(4, 3, 3);

        public Tiny() : base(nameof(Tiny)) => RegisterComponents();
        public override Tensor forward(Tensor x) => conv_last.call(conv_first.call(x));
    }

    [Fact]
    public void LoadInto_CopiesValues_WhenEveryKeyAndShapeFits()
    {
        using var scope = torch.NewDisposeScope();
        var src = new Tiny();
        var dst = new Tiny();
        WeightFile.LoadInto(dst, src.state_dict(), "src");
        foreach (var (k, t) in dst.state_dict()) Assert.True(Same(t, src.state_dict()[k]), k);
        Assert.True(dst.parameters().All(p => p.requires_grad));
    }

    [Fact]
    public void LoadInto_NamesMissingUnexpectedAndMisShapedKeys()
    {
        using var scope = torch.NewDisposeScope();
        var module = new Tiny();
        var before = module.state_dict()["conv_first.weight"].clone();
        var sd = new Dictionary<string, Tensor>(module.state_dict().Select(kv => KeyValuePair.Create(kv.Key, kv.Value.clone() + 1)));
        sd.Remove("conv_last.bias");
        sd["conv_first.weight"] = torch.zeros(5, 3, 3, 3);
        sd["extra.weight"] = torch.zeros(1);
        var e = Assert.Throws<SrTrainException>(() => WeightFile.LoadInto(module, sd, "bad.pth"));
        Assert.Contains("bad.pth", e.Message);
        Assert.Contains("missing keys (1): conv_last.bias", e.Message);
        Assert.Contains("unexpected keys (1): extra.weight", e.Message);
        Assert.Contains("conv_first.weight (file [5, 3, 3, 3], model [4, 3, 3, 3])", e.Message);
        Assert.DoesNotContain("\n", e.Message);
        // Nothing was copied: a partial load would leave a network that silently mixes two sets of weights.
        Assert.True(Same(module.state_dict()["conv_first.weight"], before));
    }

    [Fact]
    public void Read_GivesClearErrors_ForMissingEmptyTextAndTruncatedFiles()
    {
        string missing = _tmp.File("nope.pth");
        Assert.Contains("does not exist", Error(missing));

        string empty = _tmp.File("empty.pth");
        File.WriteAllBytes(empty, []);
        Assert.Contains("is empty", Error(empty));

        string text = _tmp.File("text.pth");
        File.WriteAllText(text, "<html><body>404 Not Found</body></html>\n");
        Assert.Contains("text file", Error(text));

        foreach (var source in new[] { "rrdbnet_x4_nf16_nb2_gc8.pth", "vgg16_features_to_relu3_3.legacy.pth" })
        {
            var bytes = File.ReadAllBytes(Data(source));
            foreach (int keep in new[] { 12, bytes.Length / 3, bytes.Length - 100 })
            {
                string cut = _tmp.File($"cut{keep}.pth");
                File.WriteAllBytes(cut, bytes[..keep]);
                var msg = Error(cut);
                Assert.Contains(cut, msg);
                Assert.DoesNotContain("\n", msg);
            }
        }

        string cutSafetensors = _tmp.File("cut.safetensors");
        WeightFile.Write(new Dictionary<string, Tensor> { ["w"] = torch.ones(100) }, cutSafetensors);
        var st = File.ReadAllBytes(cutSafetensors);
        File.WriteAllBytes(cutSafetensors, st[..^10]);
        Assert.Contains("cut off", Error(cutSafetensors));
    }

    static string Error(string path)
    {
        var e = Assert.Throws<SrTrainException>(() => WeightFile.Read(path));
        Assert.Contains(path, e.Message);
        return e.Message;
    }

    [Fact]
    public void Read_RefusesPickleThatNamesOsSystem()
    {
        // The classic malicious pickle: os.system('echo pwned'), i.e. what `class X: __reduce__ = lambda s: (os.system, ...)`
        // produces, placed as the zip's data.pkl so that it reaches the unpickler through the normal path.
        var pkl = new MemoryStream();
        pkl.Write([0x80, 0x02]);
        pkl.Write(Encoding.ASCII.GetBytes("cposix\nsystem\n"));
        pkl.WriteByte((byte)'X');
        var cmd = Encoding.ASCII.GetBytes("touch /tmp/srtrain-pwned");
        pkl.Write(BitConverter.GetBytes(cmd.Length));
        pkl.Write(cmd);
        pkl.Write([0x85, (byte)'R', (byte)'.']);
        string path = _tmp.File("evil.pth");
        using (var f = File.Create(path))
        using (var zip = new System.IO.Compression.ZipArchive(f, System.IO.Compression.ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("archive/data.pkl").Open();
            s.Write(pkl.ToArray());
        }
        var e = Assert.Throws<SrTrainException>(() => WeightFile.Read(path));
        Assert.StartsWith("refusing to load " + path, e.Message);
        Assert.Contains("posix.system", e.Message);
        Assert.Contains("run code", e.Message);

        // The same in a legacy-format stream: the global is refused before anything is called.
        var legacy = File.ReadAllBytes(Data("vgg16_features_to_relu3_3.legacy.pth"));
        var text = Encoding.Latin1.GetString(legacy);
        int at = text.IndexOf("ccollections\nOrderedDict\n", StringComparison.Ordinal);
        Assert.True(at > 0);
        var evil = (byte[])legacy.Clone();
        Encoding.ASCII.GetBytes("cos\nsystem\n\n\n\n\n\n\n\n\n\n\n\n\n\n").CopyTo(evil, at); // same length, so offsets stay valid
        string legacyPath = _tmp.File("evil_legacy.pth");
        File.WriteAllBytes(legacyPath, evil);
        var e2 = Assert.Throws<SrTrainException>(() => WeightFile.Read(legacyPath));
        Assert.Contains("refusing to load", e2.Message);
        Assert.Contains("os.system", e2.Message);
        Assert.False(File.Exists("/tmp/srtrain-pwned"));
    }

    [Fact]
    public void Read_FollowsViewsIntoSharedStorages_AndConvertsToFloat32_InFilesFromPyTorch()
    {
        // Written by torch 1.13 from base = arange(24).reshape(4, 6): a = base.double()[1:3, 2:5], t = base.t(),
        // n = tensor(7), wrapped as {'state_dict': {'module.' + k: v}, 'iter': 5, 'lr': 0.1} (zip format); and
        // {'params_ema': {h: base.half()[1:3, 2:5], ht: base.half().t(), bf: base.bfloat16()[3]}} (legacy format),
        // where h and ht are views of one storage.
        using var scope = torch.NewDisposeScope();
        var baseT = torch.arange(24, dtype: ScalarType.Float32).reshape(4, 6);
        var window = baseT[TensorIndex.Slice(1, 3), TensorIndex.Slice(2, 5)];

        var zip = WeightFile.Read(Data("py_nested_dp_views.pth"));
        Assert.Equal(["a", "t", "n"], zip.Keys);
        Assert.Equal(ScalarType.Float32, zip["a"].dtype);
        Assert.True(Same(zip["a"], window));
        Assert.True(Same(zip["t"], baseT.t()));
        Assert.Equal(ScalarType.Int64, zip["n"].dtype);
        Assert.Equal(7L, zip["n"].item<long>());

        var legacy = WeightFile.Read(Data("py_half_bf16_views.legacy.pth"));
        Assert.Equal(["h", "ht", "bf"], legacy.Keys);
        Assert.All(legacy.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));
        Assert.True(Same(legacy["h"], window));
        Assert.True(Same(legacy["ht"], baseT.t()));
        Assert.True(Same(legacy["bf"], baseT[3]));
    }

    [Fact]
    public void Read_UnwrapsContainersAndStripsModulePrefix()
    {
        // {'params': state_dict} with DataParallel's 'module.' prefix on every key.
        var path = _tmp.File("dp.pth");
        var src = new Dictionary<string, Tensor> { ["module.conv.weight"] = torch.randn(2, 3), ["module.conv.bias"] = torch.randn(2) };
        WeightFile.Write(src, path, PthWrapping.Params);
        var sd = WeightFile.Read(path);
        Assert.Equal(["conv.weight", "conv.bias"], sd.Keys);
        Assert.True(Same(sd["conv.weight"], src["module.conv.weight"]));
    }
}
