using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Checkpoints;

/// <summary>Named tensors in TorchSharp's module file format (what <c>Module.save</c> writes: a LEB128 count, then a
/// name and a tensor for each entry), read into CPU tensors and written from tensors on any device. Every network and
/// optimizer file of a checkpoint is written and read here, so the two directions are one code.
/// <para>Checkpoints load through this instead of <c>Module.load</c>: on a CUDA module that moves the module to the
/// CPU and back, which replaces every Parameter object, so the optimizer's flat buffers would no longer be the
/// network's weights. Here the values are copied into the existing tensors (<c>load_state_dict</c> uses copy_), on
/// whatever device they are.</para></summary>
internal static class StateDictFile
{
    public static void Write(string path, IReadOnlyCollection<KeyValuePair<string, Tensor>> tensors)
    {
        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream);
        Encode(writer, tensors.Count);
        foreach (var (name, t) in tensors)
        {
            writer.Write(name);
            t.Save(writer);
        }
    }

    /// <summary>The file's tensors on the CPU, by name (the caller disposes them).</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        using var stream = SharedRead.Open(path);
        using var reader = new BinaryReader(stream);
        if (stream.Length > 5 && stream.ReadByte() == 4 && new string(reader.ReadChars(4)) == "Adam")
            throw new InvalidDataException($"{path}: an optimizer state in TorchSharp's own format, from SrTrain before its " +
                                           "own Adam (2026-11); such a checkpoint cannot be resumed: start a new run from its net_g.pt " +
                                           "(path.pretrain_network_g)");
        stream.Position = 0;
        long count = Decode(reader);
        if (count < 0 || count > 1_000_000) throw new InvalidDataException($"{path}: not a state file ({count} entries)");
        var result = new Dictionary<string, Tensor>((int)count);
        for (long i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            result[name] = TensorExtensionMethods.Load(reader);
        }
        return result;
    }

    /// <summary>Copies the file's tensors into <paramref name="module"/>'s parameters and buffers in place (all keys
    /// must match, both ways, and every shape, as PyTorch's load_state_dict checks: copy_ alone would broadcast a [1]
    /// into an [8]).</summary>
    public static void LoadInto(nn.Module module, string path)
    {
        var sd = Read(path);
        try
        {
            var misShaped = module.state_dict()
                .Where(kv => sd.TryGetValue(kv.Key, out var t) && !t.shape.SequenceEqual(kv.Value.shape))
                .Select(kv => $"{kv.Key} is [{string.Join(", ", sd[kv.Key].shape)}] in the file, [{string.Join(", ", kv.Value.shape)}] in the network")
                .ToList();
            if (misShaped.Count > 0)
                throw new InvalidDataException($"{Path.GetFileName(path)}: " + string.Join("; ", misShaped.Take(3)) +
                    (misShaped.Count > 3 ? $" (and {misShaped.Count - 3} more of other shapes)" : ""));
            var (missing, unexpected) = module.load_state_dict(sd, strict: false);
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new InvalidDataException($"{Path.GetFileName(path)}: " +
                    (missing.Count > 0 ? $"missing {string.Join(", ", missing.Take(5))}" : "") +
                    (unexpected.Count > 0 ? $" unexpected {string.Join(", ", unexpected.Take(5))}" : ""));
        }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
        }
    }

    // TorchSharp's LEB128 (unsigned) used for the entry count; the tensors carry their own.
    static void Encode(BinaryWriter writer, long value)
    {
        do
        {
            long b = value & 0x7f;
            value >>= 7;
            writer.Write((byte)(value == 0 ? b : b | 0x80));
        } while (value != 0);
    }

    /// <summary>TorchSharp's unsigned LEB128 count.</summary>
    static long Decode(BinaryReader reader)
    {
        long result = 0;
        for (int i = 0; i < 10; i++)
        {
            long b = reader.ReadByte();
            result |= (b & 0x7f) << (i * 7);
            if ((b & 0x80) == 0) return result;
        }
        throw new InvalidDataException("bad entry count");
    }
}
