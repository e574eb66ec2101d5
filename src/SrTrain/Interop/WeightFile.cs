using System.Runtime.InteropServices;
using System.Text;
using SrTrain.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Interop;

/// <summary>Reads and writes PyTorch weight files: .pth in the zip (PyTorch 1.6+) and legacy formats, and
/// .safetensors. Reading never executes code from the file: pickles go through an allow-list unpickler.</summary>
internal static class WeightFile
{
    /// <summary>Container keys that hold the weights, in order of preference (EMA weights first, as BasicSR's
    /// inference scripts use them).</summary>
    public static readonly IReadOnlyList<string> ContainerKeys =
        ["params_ema", "params", "state_dict", "model", "net", "net_g", "generator"];

    const int ListCap = 8;

    /// <summary>Reads the state dict in a .pth (zip or legacy) or .safetensors file (detected from the content, not the
    /// extension), unwrapping the usual containers (<see cref="ContainerKeys"/>) and stripping DataParallel's
    /// <c>module.</c> prefix. Tensors are on the CPU, contiguous, float32 for float data (half, bfloat16 and double are
    /// converted), integer tensors keep their type. The caller owns (disposes) the tensors.</summary>
    /// <exception cref="SrTrainException">The file is missing, empty, cut off, not a weight file, or its pickle names
    /// code to run.</exception>
    public static IReadOnlyDictionary<string, Tensor> Read(string path) => Read(path, null);

    /// <summary><see cref="Read(string)"/>, taking the state dict under <paramref name="paramKey"/> (BasicSR's
    /// param_key_g / param_key_d) when it is given: as BasicSR's load_network does, a file without that key but with
    /// <c>params</c> gives <c>params</c>; a file with neither is an error that names the key.</summary>
    public static IReadOnlyDictionary<string, Tensor> Read(string path, string? paramKey)
    {
        byte[] data = ReadBytes(path);
        using var scope = torch.NewDisposeScope();
        OrderedDictionary<string, Tensor> raw;
        try
        {
            raw = Parse(path, data, string.IsNullOrWhiteSpace(paramKey) ? null : paramKey);
        }
        catch (SrTrainException) { throw; }
        catch (UnsafePickleException e)
        {
            throw new SrTrainException(
                $"refusing to load {path}: its pickle names the Python global '{e.Global}', which is not a tensor or " +
                "container type (it would run code when unpickled). Only plain state dicts are read; re-save the weights " +
                "with torch.save(model.state_dict(), path) or as .safetensors.");
        }
        catch (WeightLimitException e)
        {
            throw new SrTrainException(e.Variable is null
                ? $"refusing to load {path}: {e.Message}, far more than a state dict needs."
                : $"refusing to load {path}: {e.Message}; if the file is genuine, raise the limit with the environment variable {e.Variable}.");
        }
        // What a cut-off or forged file throws from the readers' own checks, BinaryReader, the JSON header, the pickle's
        // dictionaries and libtorch. An IndexOutOfRange, InvalidOperation or OutOfMemory would be a reader bug (the
        // readers bound every length before allocating), so it surfaces as one (exit 3).
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or System.Text.Json.JsonException
                                      or KeyNotFoundException or FormatException or ArgumentException or OverflowException
                                      or ExternalException or NotSupportedException)
        {
            // ExternalException is what libtorch's errors arrive as; their message carries a C++ backtrace after the
            // first line, which is no use to the user.
            throw new SrTrainException($"{path} is not a readable weight file (cut off or corrupt?): {SrTrainException.FirstLine(e).TrimEnd('.')}.");
        }

        var result = new OrderedDictionary<string, Tensor>();
        foreach (var (key, tensor) in raw)
        {
            // BasicSR strips this too: nn.DataParallel/DistributedDataParallel prefix every key with "module.".
            string name = key.StartsWith("module.", StringComparison.Ordinal) ? key["module.".Length..] : key;
            if (!result.TryAdd(name, tensor.MoveToOuterDisposeScope()))
                throw new SrTrainException($"{path} holds both '{key}' and '{name}'; cannot tell which one to use.");
        }
        return result;
    }

    /// <summary>Checks that <paramref name="stateDict"/> has exactly the keys and shapes of
    /// <paramref name="module"/>'s state dict, then copies the values in (without recording gradients).</summary>
    /// <exception cref="SrTrainException">Any key is missing, unexpected or has another shape; the message lists them
    /// (up to 8 of each) and names <paramref name="sourceName"/>.</exception>
    public static void LoadInto(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict, string sourceName)
    {
        var target = module.state_dict();
        var missing = target.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var misShaped = target
            .Where(kv => stateDict.TryGetValue(kv.Key, out var s) && !s.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key} (file {Shape(stateDict[kv.Key])}, model {Shape(kv.Value)})")
            .ToList();
        if (missing.Count + unexpected.Count + misShaped.Count > 0)
        {
            var msg = new StringBuilder($"the weights in {sourceName} do not fit the {module.GetName()} network");
            Append(msg, "missing keys", missing);
            Append(msg, "unexpected keys", unexpected);
            Append(msg, "wrong shapes", misShaped);
            msg.Append(". Check that the network options (scale, num_feat, num_block, ...) match the file.");
            throw new SrTrainException(msg.ToString());
        }
        if (FirstNonFinite(target.Keys.Select(k => (k, stateDict[k]))) is { } broken)
            throw new SrTrainException($"the weights in {sourceName} hold NaN or infinite values ('{broken}'): the model is broken " +
                                       "(e.g. saved from a diverged training) and would give black or garbage images");
        using var noGrad = torch.no_grad();
        foreach (var (key, t) in target) t.copy_(stateDict[key]);
    }

    /// <summary>BasicSR's load_network with strict=False: copies the entries whose name and shape fit the module and
    /// leaves the module's other entries as they are. Returns one line per entry not loaded (missing from the file,
    /// not in the module, or of another shape), for the log. Non-finite values are refused as in <see cref="LoadInto"/>.</summary>
    public static IReadOnlyList<string> LoadFitting(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict, string sourceName)
    {
        var target = module.state_dict();
        var skipped = new List<string>();
        skipped.AddRange(target.Keys.Where(k => !stateDict.ContainsKey(k)).Select(k => $"{k} (not in the file)"));
        skipped.AddRange(stateDict.Keys.Where(k => !target.ContainsKey(k)).Select(k => $"{k} (not in the network)"));
        var fitting = target.Where(kv => stateDict.TryGetValue(kv.Key, out var s) && s.shape.SequenceEqual(kv.Value.shape)).ToList();
        skipped.AddRange(target.Where(kv => stateDict.TryGetValue(kv.Key, out var s) && !s.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key} (file {Shape(stateDict[kv.Key])}, network {Shape(kv.Value)})"));
        if (fitting.Count == 0)
            throw new SrTrainException($"no entry of {sourceName} fits the {module.GetName()} network (by name and shape): nothing to load");
        if (FirstNonFinite(fitting.Select(kv => (kv.Key, stateDict[kv.Key]))) is { } broken)
            throw new SrTrainException($"the weights in {sourceName} hold NaN or infinite values ('{broken}'): the model is broken " +
                                       "(e.g. saved from a diverged training) and would give black or garbage images");
        using var noGrad = torch.no_grad();
        foreach (var (key, t) in fitting) t.copy_(stateDict[key]);
        return skipped;
    }

    /// <summary>The name of the first floating-point tensor holding a NaN or an infinity, or null when all are finite.</summary>
    public static string? FirstNonFinite(IEnumerable<(string Name, Tensor Value)> tensors)
    {
        foreach (var (name, t) in tensors)
        {
            if (!t.is_floating_point()) continue;
            using var finite = t.isfinite().all();
            if (!finite.item<bool>()) return name;
        }
        return null;
    }

    /// <summary>Writes a state dict; the extension picks the format: <c>.pth</c>/<c>.pt</c> (zip torch.save,
    /// wrapped as <paramref name="wrapping"/> says) or <c>.safetensors</c> (always flat). The file is written to a
    /// temporary name first and then moved, so an interrupted write never leaves a half file under the real name.</summary>
    public static void Write(IReadOnlyDictionary<string, Tensor> stateDict, string path, PthWrapping wrapping = PthWrapping.ParamsEma)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is not (".pth" or ".pt" or ".safetensors"))
            throw new SrTrainException($"cannot write weights to {path}: use a .pth, .pt or .safetensors file name.");
        string tmp = path + ".tmp";
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir != null) Directory.CreateDirectory(dir);
            using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write))
            {
                if (ext == ".safetensors") SafetensorsFile.Write(stateDict, f);
                else PthWriter.Write(stateDict, f, wrapping switch
                {
                    PthWrapping.ParamsEma => "params_ema",
                    PthWrapping.Params => "params",
                    _ => null,
                });
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (IOException e)
        {
            throw new SrTrainException($"cannot write {path}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new SrTrainException($"cannot write {path}: {e.Message}");
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Writes a generator's state dict (parameters and buffers) as BasicSR would: <c>.pth</c> wrapped as
    /// <paramref name="wrapping"/> says (default <c>params_ema</c>), or <c>.safetensors</c>.</summary>
    public static void WriteGenerator(nn.Module module, string path, PthWrapping wrapping = PthWrapping.ParamsEma)
    {
        var sd = module.state_dict();
        Write(sd, path, wrapping);
    }

    /// <summary>Reads a generator file and brings old-layout ESRGAN keys to BasicSR's names
    /// (<see cref="GeneratorKeys.ToBasicSr"/>), then detects the architecture from the keys and shapes alone.</summary>
    public static (GeneratorSpec Spec, IReadOnlyDictionary<string, Tensor> StateDict) ReadGenerator(string path)
    {
        var sd = GeneratorKeys.ToBasicSr(Read(path), path);
        return (GeneratorSpec.Detect(sd, path), sd);
    }

    static OrderedDictionary<string, Tensor> Parse(string path, byte[] data, string? paramKey = null)
    {
        ReadOnlySpan<byte> head = data.AsSpan(0, Math.Min(data.Length, 16));
        if (PthReader.LooksLikeZip(head))
            return Unwrap(path, PthReader.ReadZip(new MemoryStream(data, writable: false), InputLimits.MaxWeightBytes), paramKey);
        if (PthReader.LooksLikeLegacy(head))
            return Unwrap(path, PthReader.ReadLegacy(data), paramKey);
        if (SafetensorsFile.LooksLikeSafetensors(head, data.Length))
            return paramKey is null ? SafetensorsFile.Read(data)
                : throw new SrTrainException($"{path} is a .safetensors file, which holds one flat state dict: it has no '{paramKey}' entry; leave the param_key empty");
        if (data.Length > 262 && Encoding.ASCII.GetString(data, 257, 5) == "ustar")
            throw new SrTrainException($"{path} is in the tar format of PyTorch before 0.4, which is not supported; re-save it with a newer PyTorch.");
        throw new SrTrainException(LooksLikeText(data)
            ? $"{path} is a text file, not PyTorch weights (.pth from torch.save or .safetensors)."
            : $"{path} is not a PyTorch weight file: it is neither a torch.save file (zip or legacy) nor .safetensors.");
    }

    /// <summary>Descends through container dicts to the state dict and materialises only its tensors. A dict that
    /// contains itself (<c>d['params'] = d</c>) or a chain deeper than the nesting limit stops the descent with an
    /// error; the tensors' sizes are added up and checked against the limit before any is allocated.</summary>
    static OrderedDictionary<string, Tensor> Unwrap(string path, object? root, string? paramKey = null)
    {
        var current = root as PyDict
            ?? throw new SrTrainException($"{path} holds a {Describe(root)}, not a dict of tensors (a state dict).");
        var trail = new List<string>();
        if (paramKey != null)
        {
            var key = current.Get(paramKey) is PyDict ? paramKey : current.Get("params") is PyDict ? "params"
                : throw new SrTrainException($"{path} has no '{paramKey}' entry (nor 'params'); its keys are " +
                                             $"{string.Join(", ", current.Items.Take(ListCap).Select(kv => $"'{Truncate(kv.Key.ToString())}'"))}");
            trail.Add(key);
            current = (PyDict)current.Get(key)!;
        }
        var seen = new HashSet<PyDict>(ReferenceEqualityComparer.Instance) { current };
        int maxNesting = InputLimits.MaxNesting;
        while (true)
        {
            var key = ContainerKeys.FirstOrDefault(k => current.Get(k) is PyDict);
            if (key == null) break;
            trail.Add(key);
            current = (PyDict)current.Get(key)!;
            if (!seen.Add(current))
                throw new SrTrainException($"{path} is malformed: the dict under {string.Join("/", trail)} contains itself, so it holds no state dict.");
            if (trail.Count > maxNesting)
                throw new WeightLimitException($"its containers nest deeper than {maxNesting} levels ({string.Join("/", trail.Take(4))}/...)",
                    InputLimits.MaxNestingVariable);
        }
        long budget = InputLimits.MaxWeightBytes, total = 0;
        foreach (var (k, v) in current.Items)
        {
            if (v is TensorRef t && k is string)
            {
                total += PthReader.CheckedBytes(t);
                if (total > budget)
                    throw WeightLimitException.TensorsAbove(budget);
            }
        }
        var result = new OrderedDictionary<string, Tensor>();
        foreach (var (k, v) in current.Items)
        {
            // Scalars such as 'iter' or 'epoch' next to the tensors are training bookkeeping, not weights.
            if (v is TensorRef t && k is string name) result[name] = PthReader.Materialize(t);
        }
        if (result.Count == 0)
        {
            var keys = string.Join(", ", current.Items.Take(ListCap).Select(kv => $"'{Truncate(kv.Key.ToString())}'"));
            string where = trail.Count == 0 ? "" : " under " + string.Join("/", trail);
            throw new SrTrainException($"{path} has no tensors{where}; its keys are {keys}. Expected a state dict or one " +
                                       $"wrapped in {string.Join(", ", ContainerKeys)}.");
        }
        return result;
    }

    static string Truncate(string? s) => s is null ? "" : s.Length <= 40 ? s : s[..40] + "…";


    static byte[] ReadBytes(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new SrTrainException($"weight file {path} does not exist.");
            if (info.Length == 0) throw new SrTrainException($"weight file {path} is empty (0 bytes).");
            long max = InputLimits.MaxWeightBytes;
            if (info.Length > max)
                throw new SrTrainException($"refusing to load {path}: the file has {info.Length >> 20} MB, above the limit of {max >> 20} MB; " +
                                           $"if it is genuine, raise the limit with the environment variable {InputLimits.MaxWeightMbVariable}.");
            if (info.Length > Array.MaxLength)
                throw new SrTrainException($"weight file {path} is larger than 2 GB, which is not supported.");
            // Reads exactly the length stat reported: a special file (a symlink to /dev/zero reports 0 bytes and never
            // ends) cannot make this read forever.
            var bytes = new byte[info.Length];
            using (var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
                f.ReadExactly(bytes);
            return bytes;
        }
        catch (IOException e)
        {
            throw new SrTrainException($"cannot read weight file {path}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new SrTrainException($"cannot read weight file {path}: {e.Message}");
        }
    }

    static bool LooksLikeText(byte[] data)
    {
        int n = Math.Min(data.Length, 512);
        int printable = 0;
        for (int i = 0; i < n; i++)
        {
            byte b = data[i];
            if (b is (byte)'\n' or (byte)'\r' or (byte)'\t' || (b >= 0x20 && b < 0x7f) || b >= 0x80) printable++;
            else if (b == 0) return false;
        }
        return printable == n;
    }

    static string Describe(object? o) => o switch
    {
        null => "None",
        List<object?> => "list",
        object?[] => "tuple",
        TensorRef => "single tensor",
        _ => o.GetType().Name,
    };

    static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";

    static void Append(StringBuilder msg, string what, List<string> items)
    {
        if (items.Count == 0) return;
        msg.Append($"; {what} ({items.Count}): ").Append(string.Join(", ", items.Take(ListCap)));
        if (items.Count > ListCap) msg.Append($", ... and {items.Count - ListCap} more");
    }
}
