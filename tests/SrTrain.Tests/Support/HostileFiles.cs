using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SrTrain.Tests.Support;

/// <summary>Builds the crafted inputs of the hostile-input corpus byte by byte: pickles, torch.save zips (including
/// zips no zip library would write, such as entries that alias one blob), safetensors and PNG headers.</summary>
public static class HostileFiles
{
    /// <summary>Writes pickle opcodes (protocol 2) for crafted torch.save payloads.</summary>
    public sealed class Pickle
    {
        readonly MemoryStream _s = new();

        public Pickle() { _s.WriteByte(0x80); _s.WriteByte(2); }

        public Pickle Op(char op) { _s.WriteByte((byte)op); return this; }
        public Pickle Op(byte op) { _s.WriteByte(op); return this; }
        public Pickle EmptyDict() => Op('}');
        public Pickle Mark() => Op('(');
        public Pickle Tuple() => Op('t');
        public Pickle SetItem() => Op('s');
        public Pickle Reduce() => Op('R');
        public Pickle PersId() => Op('Q');
        public Pickle Put(byte i) { Op('q'); _s.WriteByte(i); return this; }
        public Pickle Get(byte i) { Op('h'); _s.WriteByte(i); return this; }
        public Pickle Global(string module, string name) { Op('c'); Raw($"{module}\n{name}\n"); return this; }

        public Pickle Str(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            Op('X');
            Span<byte> n = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(n, b.Length);
            _s.Write(n);
            _s.Write(b);
            return this;
        }

        /// <summary>Any 64-bit integer, as LONG1 with 8 bytes.</summary>
        public Pickle Long(long v)
        {
            Op(0x8a);
            _s.WriteByte(8);
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(b, v);
            _s.Write(b);
            return this;
        }

        public Pickle Longs(params long[] values)
        {
            Mark();
            foreach (var v in values) Long(v);
            return Tuple();
        }

        /// <summary>_rebuild_tensor_v2(('storage', FloatStorage, key, 'cpu', numel), offset, size, stride).</summary>
        public Pickle Tensor(string key, long storageNumel, long offset, long[] size, long[] stride, string storageType = "FloatStorage")
        {
            Global("torch._utils", "_rebuild_tensor_v2").Mark();
            Mark().Str("storage").Global("torch", storageType).Str(key).Str("cpu").Long(storageNumel).Tuple().PersId();
            Long(offset).Longs(size).Longs(stride);
            return Tuple().Reduce();
        }

        void Raw(string s) => _s.Write(Encoding.UTF8.GetBytes(s));

        public byte[] Stop() { Op('.'); return _s.ToArray(); }
    }

    /// <summary>A torch.save zip: archive/data.pkl, archive/data/KEY for each storage, archive/version.</summary>
    public static byte[] TorchZip(byte[] pickle, params (string Key, byte[] Data)[] storages)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] data)
            {
                var e = zip.CreateEntry(name, CompressionLevel.NoCompression);
                using var s = e.Open();
                s.Write(data);
            }
            Add("archive/data.pkl", pickle);
            foreach (var (key, data) in storages) Add($"archive/data/{key}", data);
            Add("archive/version", "3\n"u8.ToArray());
        }
        return ms.ToArray();
    }

    /// <summary>A zip written by hand: local entries, then central-directory records that may alias a local entry
    /// under several names or declare sizes that differ from the data.</summary>
    public sealed class RawZip
    {
        readonly MemoryStream _s = new();
        readonly List<(string Name, long Offset, uint Crc, long Compressed, long Size, ushort Method)> _central = new();

        /// <summary>Adds a local entry; returns its offset for <see cref="Alias"/>.</summary>
        public long Add(string name, byte[] data, bool deflate = false, long? declaredSize = null)
        {
            long size = data.Length;
            uint crc = Crc32(data);
            byte[] stored = data;
            if (deflate)
            {
                var c = new MemoryStream();
                using (var d = new DeflateStream(c, CompressionLevel.SmallestSize, leaveOpen: true)) d.Write(data);
                stored = c.ToArray();
            }
            long offset = AddLocal(name, stored, crc, declaredSize ?? size, deflate ? (ushort)8 : (ushort)0);
            return offset;
        }

        /// <summary>A local entry of already deflated bytes.</summary>
        public long AddDeflated(string name, byte[] deflated, uint crc, long size) => AddLocal(name, deflated, crc, size, 8);

        long AddLocal(string name, byte[] stored, uint crc, long size, ushort method)
        {
            long offset = _s.Position;
            var n = Encoding.UTF8.GetBytes(name);
            var w = new BinaryWriter(_s, Encoding.UTF8, leaveOpen: true);
            w.Write(0x04034b50u); w.Write((ushort)20); w.Write((ushort)0); w.Write(method); w.Write(0u);
            w.Write(crc); w.Write((uint)stored.Length); w.Write((uint)size); w.Write((ushort)n.Length); w.Write((ushort)0);
            w.Write(n); w.Write(stored);
            _central.Add((name, offset, crc, stored.Length, size, method));
            return offset;
        }

        /// <summary>Another central-directory name for the local entry at <paramref name="ofEntry"/>.</summary>
        public void Alias(string name, string ofEntry)
        {
            var e = _central.First(c => c.Name == ofEntry);
            _central.Add((name, e.Offset, e.Crc, e.Compressed, e.Size, e.Method));
        }

        public byte[] ToArray()
        {
            long cdStart = _s.Position;
            var w = new BinaryWriter(_s, Encoding.UTF8, leaveOpen: true);
            foreach (var e in _central)
            {
                var n = Encoding.UTF8.GetBytes(e.Name);
                w.Write(0x02014b50u); w.Write((ushort)20); w.Write((ushort)20); w.Write((ushort)0); w.Write(e.Method); w.Write(0u);
                w.Write(e.Crc); w.Write((uint)e.Compressed); w.Write((uint)e.Size); w.Write((ushort)n.Length); w.Write((ushort)0);
                w.Write((ushort)0); w.Write((ushort)0); w.Write((ushort)0); w.Write(0u); w.Write((uint)e.Offset); w.Write(n);
            }
            long cdSize = _s.Position - cdStart;
            w.Write(0x06054b50u); w.Write((ushort)0); w.Write((ushort)0); w.Write((ushort)_central.Count); w.Write((ushort)_central.Count);
            w.Write((uint)cdSize); w.Write((uint)cdStart); w.Write((ushort)0);
            return _s.ToArray();
        }
    }

    /// <summary>safetensors bytes from a JSON header (as given, duplicates and all) and a data section.</summary>
    public static byte[] Safetensors(string headerJson, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(headerJson);
        var result = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)h.Length);
        h.CopyTo(result, 8);
        data.CopyTo(result, 8 + h.Length);
        return result;
    }

    /// <summary>A PNG that declares <paramref name="width"/>×<paramref name="height"/> 8-bit RGB pixels but carries
    /// only <paramref name="idatBytes"/> of (zero) compressed rows: what a decompression bomb's header looks like.</summary>
    public static byte[] PngHeaderBomb(int width, int height, int idatBytes = 1024)
    {
        var s = new MemoryStream();
        s.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = 2;
        Chunk(s, "IHDR", ihdr);
        var z = new MemoryStream();
        using (var zl = new ZLibStream(z, CompressionLevel.SmallestSize, leaveOpen: true)) zl.Write(new byte[idatBytes * 100]);
        Chunk(s, "IDAT", z.ToArray());
        Chunk(s, "IEND", []);
        return s.ToArray();
    }

    static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(n, data.Length);
        s.Write(n);
        var td = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(td);
        BinaryPrimitives.WriteUInt32BigEndian(n, Crc32(td));
        s.Write(n);
    }

    static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(i =>
    {
        uint c = (uint)i;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (var b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }

    /// <summary>CRC-32 of <paramref name="length"/> zero bytes, without allocating them.</summary>
    public static uint Crc32OfZeros(long length)
    {
        uint c = 0xFFFFFFFFu;
        for (long i = 0; i < length; i++) c = CrcTable[c & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }

    /// <summary>Deflated <paramref name="length"/> zero bytes, streamed so the zeros are never all in memory.</summary>
    public static byte[] DeflatedZeros(long length)
    {
        var c = new MemoryStream();
        using (var d = new DeflateStream(c, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var chunk = new byte[1 << 20];
            for (long left = length; left > 0; left -= chunk.Length) d.Write(chunk, 0, (int)Math.Min(chunk.Length, left));
        }
        return c.ToArray();
    }

    /// <summary>Makes a FIFO (named pipe) at <paramref name="path"/>: opening it for reading blocks until a writer
    /// comes, which none ever does here.</summary>
    public static void MakeFifo(string path)
    {
        using var p = System.Diagnostics.Process.Start("mkfifo", [path]);
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"mkfifo {path} failed");
    }
}
