using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Interop;

/// <summary>Writes a state dict the way torch.save (zip format, pickle protocol 2) does, so that <c>torch.load</c> and
/// BasicSR's <c>load_network</c> read it: entries <c>archive/data.pkl</c>, <c>archive/byteorder</c>,
/// <c>archive/data/0..N-1</c> (one storage per tensor), <c>archive/version</c>; stored (uncompressed) and with each
/// entry's data aligned to 64 bytes like PyTorch's writer, which lets torch.load(mmap=True) map it.</summary>
internal static class PthWriter
{
    public static void Write(IReadOnlyDictionary<string, Tensor> stateDict, Stream output, string? wrapKey)
    {
        var storages = new List<byte[]>();
        var pkl = new MemoryStream();
        var w = new BinaryWriter(pkl);
        w.Write((byte)0x80); w.Write((byte)2); // PROTO 2
        if (wrapKey != null)
        {
            w.Write((byte)'}');
            Unicode(w, wrapKey);
        }
        Global(w, "collections", "OrderedDict");
        w.Write((byte)')'); w.Write((byte)'R');
        if (stateDict.Count > 0) w.Write((byte)'(');
        foreach (var (name, tensor) in stateDict)
        {
            using var scope = torch.NewDisposeScope();
            var t = tensor.detach().cpu().contiguous();
            string key = storages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            storages.Add(t.numel() == 0 ? Array.Empty<byte>() : t.bytes.ToArray());

            Unicode(w, name);
            Global(w, "torch._utils", "_rebuild_tensor_v2");
            w.Write((byte)'(');
            // Persistent id ('storage', torch.XStorage, key, 'cpu', numel) -> BINPERSID.
            w.Write((byte)'(');
            Unicode(w, "storage");
            Global(w, "torch", StorageName(t.dtype));
            Unicode(w, key);
            Unicode(w, "cpu");
            Int(w, t.numel());
            w.Write((byte)'t');
            w.Write((byte)'Q');
            Int(w, 0); // storage offset
            IntTuple(w, t.shape);
            IntTuple(w, t.stride());
            w.Write((byte)0x89); // requires_grad = False
            Global(w, "collections", "OrderedDict"); // backward hooks: an empty OrderedDict, as torch writes it
            w.Write((byte)')'); w.Write((byte)'R');
            w.Write((byte)'t');
            w.Write((byte)'R');
        }
        if (stateDict.Count > 0) w.Write((byte)'u');
        if (wrapKey != null) w.Write((byte)'s');
        w.Write((byte)'.');
        w.Flush();

        var zip = new StoredZipWriter(output);
        zip.Add("archive/data.pkl", pkl.ToArray());
        zip.Add("archive/byteorder", "little"u8.ToArray());
        for (int i = 0; i < storages.Count; i++) zip.Add($"archive/data/{i}", storages[i]);
        zip.Add("archive/version", "3\n"u8.ToArray());
        zip.Finish();
    }

    static string StorageName(ScalarType dtype) =>
        TensorDTypes.Of(dtype)?.Storage ?? throw new SrTrainException($"tensors of type {dtype} cannot be written to a .pth file");

    static void Global(BinaryWriter w, string module, string name)
    {
        w.Write((byte)'c');
        w.Write(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
    }

    static void Unicode(BinaryWriter w, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        w.Write((byte)'X');
        w.Write((uint)b.Length); // BinaryWriter is little-endian on every platform
        w.Write(b);
    }

    static void Int(BinaryWriter w, long v)
    {
        if (v >= 0 && v < 256) { w.Write((byte)'K'); w.Write((byte)v); }
        else if (v >= 0 && v < 65536) { w.Write((byte)'M'); w.Write((ushort)v); }
        else if (v >= int.MinValue && v <= int.MaxValue) { w.Write((byte)'J'); w.Write((int)v); }
        else { w.Write((byte)0x8a); w.Write((byte)8); w.Write(v); }
    }

    static void IntTuple(BinaryWriter w, long[] values)
    {
        w.Write((byte)'(');
        foreach (var v in values) Int(w, v);
        w.Write((byte)'t');
    }
}
