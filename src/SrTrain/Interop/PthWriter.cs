using System.Buffers.Binary;
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

/// <summary>A minimal zip writer for stored entries with known sizes (no compression, no data descriptors, no zip64),
/// padding each local header's extra field so the data starts on a 64-byte boundary, as PyTorch's writer does.</summary>
internal sealed class StoredZipWriter(Stream output)
{
    const int Alignment = 64;
    readonly List<(byte[] Name, uint Crc, uint Size, uint Offset)> _entries = new();
    long _pos;

    public void Add(string name, byte[] data)
    {
        if (data.LongLength > uint.MaxValue - 1 || _pos > uint.MaxValue - 1)
            throw new SrTrainException("the weights are too large for a zip .pth without zip64 (over 4 GB); write .safetensors instead");
        var nameBytes = Encoding.UTF8.GetBytes(name);
        long dataStart = _pos + 30 + nameBytes.Length + 4;
        int pad = (int)((Alignment - dataStart % Alignment) % Alignment);
        uint crc = Crc32.Compute(data);
        var h = new byte[30];
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(0), 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), 20); // version needed: 2.0
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(14), crc);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(18), (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(22), (uint)data.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(26), (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(28), (ushort)(4 + pad));
        var extra = new byte[4 + pad];
        BinaryPrimitives.WriteUInt16LittleEndian(extra.AsSpan(0), 0x4246); // "FB", PyTorch's padding field id
        BinaryPrimitives.WriteUInt16LittleEndian(extra.AsSpan(2), (ushort)pad);
        Array.Fill(extra, (byte)'Z', 4, pad);
        _entries.Add((nameBytes, crc, (uint)data.Length, (uint)_pos));
        Write(h); Write(nameBytes); Write(extra); Write(data);
    }

    public void Finish()
    {
        long cdStart = _pos;
        foreach (var (name, crc, size, offset) in _entries)
        {
            var c = new byte[46];
            BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(0), 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(c.AsSpan(4), 20);
            BinaryPrimitives.WriteUInt16LittleEndian(c.AsSpan(6), 20);
            BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(16), crc);
            BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(20), size);
            BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(24), size);
            BinaryPrimitives.WriteUInt16LittleEndian(c.AsSpan(28), (ushort)name.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(42), offset);
            Write(c); Write(name);
        }
        long cdSize = _pos - cdStart;
        if (_pos > uint.MaxValue || _entries.Count > ushort.MaxValue)
            throw new SrTrainException("the weights are too large for a zip .pth without zip64; write .safetensors instead");
        var e = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(0), 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(8), (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(10), (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(12), (uint)cdSize);
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(16), (uint)cdStart);
        Write(e);
        output.Flush();
    }

    void Write(byte[] b)
    {
        output.Write(b);
        _pos += b.Length;
    }
}

/// <summary>CRC-32 (IEEE, reflected, as zip uses); the BCL has none without the System.IO.Hashing package, and
/// PyTorch's zip reader checks it on every entry.</summary>
internal static class Crc32
{
    static readonly uint[] Table = BuildTable();

    static uint[] BuildTable()
    {
        var t = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (var b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
