using System.Buffers.Binary;
using System.Text;

namespace SrTrain.Interop;

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
