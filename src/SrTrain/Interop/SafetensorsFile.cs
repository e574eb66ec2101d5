using System.Buffers.Binary;
using System.Text.Json;
using SrTrain.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Interop;

/// <summary>The safetensors layout: an 8-byte little-endian header length N, N bytes of JSON
/// (<c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}</c>, offsets
/// relative to the end of the header), then the raw little-endian tensor bytes. No code can hide in it.</summary>
internal static class SafetensorsFile
{
    const int MaxHeader = 100_000_000;

    public static bool LooksLikeSafetensors(ReadOnlySpan<byte> head, long fileLength)
    {
        if (head.Length < 9) return false;
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(head);
        return n >= 2 && n <= (ulong)Math.Min(MaxHeader, fileLength - 8) && head[8] == (byte)'{';
    }

    public static OrderedDictionary<string, Tensor> Read(byte[] data)
    {
        if (data.Length < 8) throw new EndOfStreamException("the safetensors header is cut off");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(data);
        if (n > (ulong)(data.Length - 8)) throw new EndOfStreamException("the safetensors header is cut off");
        int dataStart = 8 + (int)n;
        // The format's header is UTF-8 JSON; a name with invalid bytes would only fail later, inside GetString.
        if (!System.Text.Unicode.Utf8.IsValid(data.AsSpan(8, (int)n))) throw new InvalidDataException("the safetensors header is not valid UTF-8");
        var entries = new List<(string Name, ScalarType DType, int Size, long[] Shape, long Begin, long End)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var options = new JsonDocumentOptions { MaxDepth = InputLimits.MaxNesting };
        using (var doc = JsonDocument.Parse(data.AsMemory(8, (int)n), options))
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("the safetensors header is not a JSON object");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                // JSON allows a name twice and JsonDocument keeps both; the reference reader refuses such a header.
                if (!names.Add(p.Name)) throw new InvalidDataException($"the header names tensor '{p.Name}' twice");
                if (p.Name == "__metadata__") continue;
                if (p.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"tensor {p.Name} is not described by a JSON object");
                var (dtype, size) = DType(p.Value.GetProperty("dtype").GetString() ?? "");
                var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                var off = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                if (off.Length != 2 || off[0] < 0 || off[1] < off[0] || off[1] > data.Length - dataStart)
                    throw new EndOfStreamException($"tensor {p.Name} lies outside the file (cut off?)");
                if (shape.Length > 32 || shape.Any(d => d < 0))
                    throw new InvalidDataException($"tensor {p.Name} has an impossible shape [{string.Join(",", shape.Take(8))}]");
                // Checked, so a shape such as [2^62] cannot wrap around to the byte count it claims.
                long nbytes;
                try { nbytes = checked(shape.Aggregate(1L, (a, b) => a * b) * size); }
                catch (OverflowException) { throw new InvalidDataException($"tensor {p.Name}: shape [{string.Join(",", shape)}] overflows 64 bits"); }
                if (nbytes != off[1] - off[0])
                    throw new InvalidDataException($"tensor {p.Name}: shape [{string.Join(",", shape)}] does not match its {off[1] - off[0]} bytes");
                entries.Add((p.Name, dtype, size, shape, off[0], off[1]));
            }
        }
        // Entries may point at the same bytes, so the tensors' total is checked, not just the file's size.
        long total = 0, budget = InputLimits.MaxWeightBytes;
        foreach (var e in entries)
        {
            total += (e.End - e.Begin) / e.Size * TensorDTypes.LoadedSize(e.DType, e.Size);
            if (total > budget) throw WeightLimitException.TensorsAbove(budget);
        }
        // The JSON keys are sorted by name; file order is the writer's order (for files written here, the state-dict
        // order), which keeps the dictionary in registration order.
        var result = new OrderedDictionary<string, Tensor>();
        foreach (var e in entries.OrderBy(e => e.Begin))
        {
            var t = torch.empty(e.Shape, dtype: e.DType, device: torch.CPU);
            if (e.End > e.Begin) t.bytes = data.AsSpan(dataStart + (int)e.Begin, (int)(e.End - e.Begin));
            if (TensorDTypes.LoadedType(e.DType) != e.DType)
            {
                var f = t.to_type(TensorDTypes.LoadedType(e.DType));
                t.Dispose();
                t = f;
            }
            result.Add(e.Name, t);
        }
        return result;
    }

    public static void Write(IReadOnlyDictionary<string, Tensor> stateDict, Stream output)
    {
        var blobs = new List<byte[]>();
        var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteStartObject("__metadata__");
            w.WriteString("format", "pt");
            w.WriteEndObject();
            long offset = 0;
            foreach (var (name, tensor) in stateDict)
            {
                using var scope = torch.NewDisposeScope();
                var t = tensor.detach().cpu().contiguous();
                var bytes = t.numel() == 0 ? Array.Empty<byte>() : t.bytes.ToArray();
                blobs.Add(bytes);
                w.WriteStartObject(name);
                w.WriteString("dtype", DTypeName(t.dtype));
                w.WriteStartArray("shape");
                foreach (var d in t.shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes.Length;
            }
            w.WriteEndObject();
        }
        // The header is padded with spaces to 8 bytes so that the tensor data is aligned, as the reference writer does.
        var header = json.ToArray().ToList();
        while (header.Count % 8 != 0) header.Add((byte)' ');
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Count);
        output.Write(len);
        output.Write(header.ToArray());
        foreach (var b in blobs) output.Write(b);
        output.Flush();
    }

    static (ScalarType, int) DType(string name) =>
        TensorDTypes.FromSafetensors(name) is { } r ? (r.Type, r.Size) : throw new InvalidDataException($"unsupported safetensors dtype '{name}'");

    static string DTypeName(ScalarType t) =>
        TensorDTypes.Of(t)?.Safetensors ?? throw new SrTrainException($"tensors of type {t} cannot be written to .safetensors");
}
