using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;
using SrTrain.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Interop;

/// <summary>Reads torch.save files into a plain object tree (<see cref="PyDict"/>, lists, tuples, numbers, strings and
/// <see cref="TensorRef"/>s) without ever running pickled code. Two layouts exist:
/// <list type="bullet">
/// <item>zip (PyTorch 1.6+): <c>prefix/data.pkl</c> is the pickle, each storage is the entry <c>prefix/data/KEY</c>,
/// plus <c>prefix/version</c> and (2.1+) <c>prefix/byteorder</c>.</item>
/// <item>legacy (before 1.6, e.g. torchvision's vgg16-397923af.pth and the original ESRGAN files): five pickles and raw
/// data in one stream — magic number, protocol version, sys info, the object (storages as persistent ids
/// <c>('storage', type, key, location, numel, view_metadata)</c>), the list of storage keys; then for each key in that
/// order an int64 element count followed by the storage's raw little-endian bytes.</item>
/// </list></summary>
internal sealed class PthReader
{
    static readonly byte[] ZipMagic = "PK\x03\x04"u8.ToArray();
    static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356");
    const long LegacyProtocolVersion = 1001;

    /// <summary>A storage: its element type and where its bytes are.</summary>
    internal sealed class Storage(string key, ScalarType dtype, int elementSize, long numel)
    {
        public string Key { get; } = key;
        public ScalarType DType { get; } = dtype;
        public int ElementSize { get; } = elementSize;
        public long Numel { get; set; } = numel;
        public ArraySegment<byte> Bytes { get; set; }
        public Tensor? Flat { get; set; }
    }

    /// <summary>A legacy (pre-0.4) view into a root storage, counted in elements.</summary>
    internal sealed record StorageView(Storage Root, long Offset, long Numel);

    public static bool LooksLikeZip(ReadOnlySpan<byte> head) => head.StartsWith(ZipMagic);

    public static bool LooksLikeLegacy(ReadOnlySpan<byte> head) =>
        // PROTO 2, LONG1 of 10 bytes: the first bytes of the pickled magic number 0x1950a86a20f9469cfc6c.
        head.Length >= 4 && head[0] == 0x80 && head[1] == 0x02 && head[2] == 0x8a && head[3] == 0x0a;

    public static object? ReadZip(Stream stream, long maxBytes)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        // Sizes are declared by the file, so they are added up before anything is inflated: twenty entry names that
        // alias one highly compressed blob, or one entry that claims 2 GB, are refused without allocating.
        long declared = 0;
        foreach (var e in zip.Entries)
        {
            if (e.Length < 0 || (declared += e.Length) > maxBytes)
                throw new WeightLimitException($"its zip entries declare more than {Mb(maxBytes)} MB in all", InputLimits.MaxWeightMbVariable);
        }
        var pkl = zip.Entries.FirstOrDefault(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
            ?? throw new InvalidDataException("the zip archive has no data.pkl, so it is not a torch.save file");
        string prefix = pkl.FullName[..^"data.pkl".Length];
        var byteOrder = zip.GetEntry(prefix + "byteorder");
        if (byteOrder != null)
        {
            var order = Encoding.ASCII.GetString(ReadEntry(byteOrder)).Trim();
            if (order != "little") throw new InvalidDataException($"the tensors are stored {order}-endian; only little-endian files are read");
        }
        var storages = new Dictionary<string, Storage>();
        var (value, _) = RestrictedUnpickler.Load(ReadEntry(pkl), 0, pid =>
        {
            var t = PersistentTuple(pid);
            if (t.Length < 5) throw new InvalidDataException("storage reference with too few fields");
            var key = t[2] as string ?? throw new InvalidDataException("storage key is not a string");
            if (storages.TryGetValue(key, out var known)) return known;
            var (dtype, size) = StorageDType(t[1]);
            var entry = zip.GetEntry(prefix + "data/" + key)
                ?? throw new InvalidDataException($"the archive is missing the storage data/{key}");
            var bytes = ReadEntry(entry);
            if (bytes.Length % size != 0)
                throw new InvalidDataException($"storage data/{key} has {bytes.Length} bytes, not a multiple of its {size}-byte elements");
            var s = new Storage(key, dtype, size, bytes.Length / size) { Bytes = bytes };
            if (ToLong(t[4]) > s.Numel) throw new InvalidDataException($"storage data/{key} is shorter than its tensor needs");
            storages[key] = s;
            return s;
        });
        return value;
    }

    public static object? ReadLegacy(byte[] data)
    {
        int pos = 0;
        (object? magic, pos) = RestrictedUnpickler.Load(data, pos, NoPersistentIds);
        if (magic is not BigInteger m || m != LegacyMagic) throw new InvalidDataException("the legacy magic number is wrong");
        (object? protocol, pos) = RestrictedUnpickler.Load(data, pos, NoPersistentIds);
        if (protocol is not long p || p != LegacyProtocolVersion)
            throw new InvalidDataException($"legacy protocol version {protocol} is not {LegacyProtocolVersion}");
        (object? sysInfo, pos) = RestrictedUnpickler.Load(data, pos, NoPersistentIds);
        if (sysInfo is PyDict info && info.Get("little_endian") is false)
            throw new InvalidDataException("the tensors are stored big-endian; only little-endian files are read");

        var storages = new Dictionary<string, Storage>();
        (object? value, pos) = RestrictedUnpickler.Load(data, pos, pid =>
        {
            var t = PersistentTuple(pid);
            if (t.Length < 6) throw new InvalidDataException("legacy storage reference with too few fields");
            var key = t[2] as string ?? throw new InvalidDataException("storage key is not a string");
            var (dtype, size) = StorageDType(t[1]);
            if (!storages.TryGetValue(key, out var root))
                storages[key] = root = new Storage(key, dtype, size, ToLong(t[4]));
            if (t[5] is object?[] view && view.Length == 3)
            {
                // Pre-0.4 files can share one root storage between views: (view_key, offset, size).
                return new StorageView(root, ToLong(view[1]), ToLong(view[2]));
            }
            return root;
        });
        (object? keys, pos) = RestrictedUnpickler.Load(data, pos, NoPersistentIds);
        if (keys is not List<object?> keyList) throw new InvalidDataException("the legacy storage key list is missing");
        foreach (var k in keyList)
        {
            if (k is not string key || !storages.TryGetValue(key, out var s))
                throw new InvalidDataException($"the legacy storage list names an unknown storage {k}");
            if (pos > data.Length - 8) throw new EndOfStreamException($"the data of storage {key} is missing");
            long numel = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(pos, 8));
            pos += 8;
            if (numel < 0 || numel > (data.Length - pos) / s.ElementSize) throw new EndOfStreamException($"the data of storage {key} is cut off");
            long nbytes = numel * s.ElementSize;
            s.Numel = numel;
            s.Bytes = new ArraySegment<byte>(data, pos, (int)nbytes);
            pos += (int)nbytes;
        }
        foreach (var s in storages.Values)
            if (s.Bytes.Array == null) throw new InvalidDataException($"storage {s.Key} has no data in the file");
        return value;
    }

    /// <summary>Checks a pickled tensor description against its storage and returns the bytes the materialised tensor
    /// will take (float32 for half, bfloat16 and double). Every size is computed with overflow checks, and the tensor
    /// may not hold more elements than its storage span: a stride-0 "expanded" tensor of 12000² from one stored float
    /// is refused instead of costing 576 MB.</summary>
    public static long CheckedBytes(TensorRef r)
    {
        var (storage, baseOffset, available) = Locate(r);
        if (r.Size.Length != r.Stride.Length) throw new InvalidDataException("a tensor has different numbers of sizes and strides");
        if (r.Size.Length > 32) throw new InvalidDataException($"a tensor has {r.Size.Length} dimensions");
        if (r.Size.Any(d => d < 0) || r.Stride.Any(d => d < 0) || r.Offset < 0)
            throw new InvalidDataException("a tensor has a negative size, stride or offset");
        try
        {
            checked
            {
                long numel = 1;
                foreach (var d in r.Size) numel *= d;
                if (numel == 0) return 0;
                long last = r.Offset;
                for (int i = 0; i < r.Size.Length; i++) last += (r.Size[i] - 1) * r.Stride[i];
                if (last >= available - baseOffset || baseOffset + last >= storage.Numel)
                    throw new InvalidDataException($"a tensor reaches element {last} of storage {storage.Key}, which holds {available - baseOffset}");
                if (numel > available - baseOffset - r.Offset)
                    throw new InvalidDataException($"a tensor of {numel} elements overlaps itself in storage {storage.Key} of " +
                                                   $"{available - baseOffset} (an expanded or stride-0 tensor; save it with .contiguous())");
                return numel * TargetElementSize(storage);
            }
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"a tensor in storage {storage.Key} has sizes or strides that overflow 64 bits");
        }
    }

    /// <summary>Builds an independent, contiguous tensor for a pickled tensor description (call
    /// <see cref="CheckedBytes"/> first). Half, bfloat16 and double become float32 (the trainer computes in float32);
    /// integer tensors such as num_batches_tracked keep their type.</summary>
    public static Tensor Materialize(TensorRef r)
    {
        CheckedBytes(r);
        var (storage, baseOffset, _) = Locate(r);
        var target = TensorDTypes.LoadedType(storage.DType);
        var result = torch.empty(r.Size, dtype: target, device: torch.CPU);
        if (r.Size.Any(d => d == 0)) return result;
        if (storage.Flat is null)
        {
            storage.Flat = torch.empty(storage.Numel, dtype: storage.DType, device: torch.CPU);
            if (storage.Numel > 0) storage.Flat.bytes = storage.Bytes.AsSpan();
        }
        using var view = storage.Flat.as_strided(r.Size, r.Stride, baseOffset + r.Offset);
        using (torch.no_grad()) result.copy_(view);
        return result;
    }

    static (Storage Storage, long BaseOffset, long Available) Locate(TensorRef r) => r.Storage switch
    {
        Storage s => (s, 0L, s.Numel),
        // A legacy view (offset, numel) must lie inside its root storage.
        StorageView v when v.Offset >= 0 && v.Numel >= 0 && v.Offset <= v.Root.Numel && v.Numel <= v.Root.Numel - v.Offset
            => (v.Root, v.Offset, v.Offset + v.Numel),
        StorageView v => throw new InvalidDataException($"a view ({v.Offset}, {v.Numel}) lies outside its storage {v.Root.Key} of {v.Root.Numel} elements"),
        _ => throw new InvalidDataException("a tensor refers to something that is not a storage"),
    };

    static int TargetElementSize(Storage s) => TensorDTypes.LoadedSize(s.DType, s.ElementSize);

    static long Mb(long bytes) => bytes >> 20;

    static (ScalarType, int) StorageDType(object? type)
    {
        if (type is not PyGlobal g) throw new InvalidDataException("storage type is not a torch storage class");
        return TensorDTypes.FromStorage(g.Name) is { } r ? (r.Type, r.Size) : throw new InvalidDataException($"unsupported storage type {g}");
    }

    static object?[] PersistentTuple(object? pid)
    {
        if (pid is object?[] t && t.Length > 0 && t[0] is "storage") return t;
        throw new InvalidDataException("a persistent id is not a storage reference");
    }

    static object NoPersistentIds(object? pid) => throw new InvalidDataException("unexpected persistent id in a header pickle");

    static long ToLong(object? o) => o is long l ? l : throw new InvalidDataException("expected an integer in a storage reference");

    static byte[] ReadEntry(ZipArchiveEntry e)
    {
        if (e.Length > Array.MaxLength) throw new InvalidDataException($"{e.FullName} is larger than 2 GB");
        var buffer = new byte[e.Length];
        using var s = e.Open();
        s.ReadExactly(buffer);
        return buffer;
    }
}
