using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using SrTrain.Config;

namespace SrTrain.Interop;

/// <summary>A pickle reader that understands the opcodes torch.save emits (protocols 2 to 5) and nothing that could run
/// code: GLOBAL/STACK_GLOBAL must name an allow-listed callable, and REDUCE only calls those through a C# table.
/// Python's own unpickler imports and calls whatever a file names, which is why a downloaded .pth must never go
/// through it.</summary>
internal sealed class RestrictedUnpickler
{
    static readonly HashSet<string> StorageTypes = new()
    {
        "FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage",
        "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage", "UntypedStorage",
    };

    readonly byte[] _data;
    int _pos;
    readonly Func<object?, object> _persistentLoad;
    readonly List<object?> _stack = new();
    readonly Stack<int> _marks = new();
    readonly Dictionary<long, object?> _memo = new();
    readonly int _maxNesting = InputLimits.MaxNesting;
    readonly int _start;
    int _objects;

    /// <summary>Largest pickle read (the part of a .pth that describes the tensors; a state dict of 1000 tensors
    /// takes about 100 KB).</summary>
    public const int MaxPickleBytes = 32 << 20;

    /// <summary>Most containers and calls one pickle may create: each costs memory however small the pickle is.</summary>
    public const int MaxObjects = 2_000_000;

    RestrictedUnpickler(byte[] data, int start, Func<object?, object> persistentLoad)
    {
        _data = data;
        _pos = start;
        _start = start;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Reads one pickle starting at <paramref name="start"/>; returns the object and the offset after STOP.
    /// Throws <see cref="UnsafePickleException"/> for a global outside the allow list and
    /// <see cref="InvalidDataException"/> for anything malformed or truncated.</summary>
    public static (object? Value, int End) Load(byte[] data, int start, Func<object?, object> persistentLoad)
    {
        var u = new RestrictedUnpickler(data, start, persistentLoad);
        var value = u.Run();
        return (value, u._pos);
    }

    public static bool IsAllowedGlobal(string module, string name) => (module, name) switch
    {
        ("collections", "OrderedDict") => true,
        ("torch._utils", "_rebuild_tensor_v2") => true,
        ("torch._utils", "_rebuild_tensor") => true,
        ("torch._utils", "_rebuild_parameter") => true,
        ("torch._utils", "_rebuild_parameter_with_state") => true,
        ("torch", "device") => true,
        ("torch", "Size") => true,
        ("torch", _) => StorageTypes.Contains(name),
        ("torch.storage", "UntypedStorage") => true,
        _ => false,
    };

    object? Run()
    {
        while (true)
        {
            int opAt = _pos;
            if (opAt - _start > MaxPickleBytes)
                throw new WeightLimitException($"its pickle is longer than {MaxPickleBytes >> 20} MB", null);
            byte op = ReadByte();
            if (op is (byte)'}' or (byte)']' or (byte)')' or (byte)'t' or 0x85 or 0x86 or 0x87 or (byte)'R' or (byte)'(' && ++_objects > MaxObjects)
                throw new WeightLimitException($"its pickle creates more than {MaxObjects} objects", null);
            switch (op)
            {
                case 0x80: ReadByte(); break; // PROTO
                case 0x95: Take(8); break; // FRAME: framing is only a hint for buffered readers
                case (byte)'.': // STOP
                    if (_stack.Count != 1) throw new InvalidDataException($"pickle ended with {_stack.Count} values on the stack");
                    return _stack[0];
                case (byte)'(':
                    // Open MARKs are the pickle's nesting; a real state dict opens a few.
                    if (_marks.Count >= _maxNesting)
                        throw new WeightLimitException($"its pickle nests deeper than {_maxNesting} levels", InputLimits.MaxNestingVariable);
                    _marks.Push(_stack.Count);
                    break;
                case (byte)'}': Push(new PyDict()); break;
                case (byte)']': Push(new List<object?>()); break;
                case (byte)')': Push(Array.Empty<object?>()); break;
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case (byte)'K': Push((long)ReadByte()); break;
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                case 0x8a: Push(ReadLong(ReadByte())); break; // LONG1
                case 0x8b: Push(ReadLong(CheckedLength(BinaryPrimitives.ReadInt32LittleEndian(Take(4))))); break; // LONG4
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT is big-endian
                case (byte)'X': Push(Utf8(CheckedLength(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))))); break;
                case 0x8c: Push(Utf8(ReadByte())); break; // SHORT_BINUNICODE
                case 0x8d: Push(Utf8(CheckedLength(BinaryPrimitives.ReadUInt64LittleEndian(Take(8))))); break;
                case (byte)'T': Push(Latin1(CheckedLength(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))))); break;
                case (byte)'U': Push(Latin1(ReadByte())); break;
                case (byte)'B': Push(Take(CheckedLength(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))).ToArray()); break;
                case (byte)'C': Push(Take(ReadByte()).ToArray()); break;
                case 0x8e: Push(Take(CheckedLength(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))).ToArray()); break;
                case (byte)'V': Push(ReadLine()); break; // UNICODE (protocol 0); escapes are not used in key names
                case (byte)'I': Push(ParseTextInt(ReadLine())); break;
                case (byte)'L': Push(ParseTextInt(ReadLine().TrimEnd('L'))); break;
                case (byte)'q': _memo[ReadByte()] = Peek(); break;
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break;
                case (byte)'p': _memo[ParseTextInt(ReadLine())] = Peek(); break;
                case 0x94: _memo[_memo.Count] = Peek(); break; // MEMOIZE
                case (byte)'h': Push(MemoGet(ReadByte())); break;
                case (byte)'j': Push(MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                case (byte)'g': Push(MemoGet(ParseTextInt(ReadLine()))); break;
                case (byte)'0': Pop(); break;
                case (byte)'1': PopMark(); break;
                case (byte)'2': Push(Peek()); break;
                case (byte)'t': Push(PopMark().ToArray()); break;
                case 0x85: Push(new[] { Pop() }); break;
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; }
                case (byte)'c': Push(Global(ReadLine(), ReadLine())); break;
                case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop() as string; var module = Pop() as string;
                        if (name is null || module is null) throw new InvalidDataException("STACK_GLOBAL without two strings");
                        Push(Global(module, name));
                        break;
                    }
                case (byte)'Q': Push(_persistentLoad(Pop())); break;
                case (byte)'R': { var args = Pop(); var fn = Pop(); Push(Call(fn, args)); break; }
                case (byte)'b': { var state = Pop(); Build(Peek(), state); break; }
                case (byte)'s': { var v = Pop(); var k = Pop(); AsDict(Peek()).Set(k, v); break; }
                case (byte)'u':
                    {
                        var items = PopMark();
                        if (items.Count % 2 != 0) throw new InvalidDataException("SETITEMS with an odd number of values");
                        var d = AsDict(Peek());
                        for (int i = 0; i < items.Count; i += 2) d.Set(items[i], items[i + 1]);
                        break;
                    }
                case (byte)'a': { var v = Pop(); AsList(Peek()).Add(v); break; }
                case (byte)'e': { var items = PopMark(); AsList(Peek()).AddRange(items); break; }
                default:
                    throw new InvalidDataException($"unsupported pickle opcode 0x{op:x2} at byte {opAt}");
            }
        }
    }

    static PyGlobal Global(string module, string name)
    {
        if (!IsAllowedGlobal(module, name)) throw new UnsafePickleException(module + "." + name);
        return new PyGlobal(module, name);
    }

    /// <summary>The only calls a pickle can make: each allow-listed callable mapped to a C# equivalent that builds data.</summary>
    static object? Call(object? fn, object? args)
    {
        if (fn is not PyGlobal g) throw new InvalidDataException("REDUCE on something that is not a global");
        if (args is not object?[] a) throw new InvalidDataException($"REDUCE {g} without an argument tuple");
        switch (g.Module, g.Name)
        {
            case ("collections", "OrderedDict"):
                if (a.Length != 0) throw new InvalidDataException("OrderedDict called with arguments");
                return new PyDict();
            case ("torch._utils", "_rebuild_tensor_v2"):
            case ("torch._utils", "_rebuild_tensor"):
                if (a.Length < 4) throw new InvalidDataException($"{g} with {a.Length} arguments");
                return new TensorRef(a[0] ?? throw new InvalidDataException("tensor without storage"),
                    AsLong(a[1]), AsLongs(a[2]), AsLongs(a[3]));
            case ("torch._utils", "_rebuild_parameter"):
            case ("torch._utils", "_rebuild_parameter_with_state"):
                if (a.Length < 1 || a[0] is not TensorRef t) throw new InvalidDataException($"{g} without a tensor");
                return t;
            case ("torch", "device"):
                return a.Length > 0 ? a[0]?.ToString() : "cpu";
            case ("torch", "Size"):
                return a.Length > 0 && a[0] is List<object?> l ? l.ToArray() : Array.Empty<object?>();
            default:
                throw new InvalidDataException($"{g} cannot be called");
        }
    }

    static void Build(object? target, object? state)
    {
        // OrderedDict state is the state dict's `_metadata` (module versions); a parameter's state is its Python
        // attributes. Neither carries weights, so both are dropped.
        if (target is PyDict or TensorRef) return;
        throw new InvalidDataException("BUILD on an object other than a dict or tensor");
    }

    static long AsLong(object? o) => o switch
    {
        long l => l,
        BigInteger b when b >= long.MinValue && b <= long.MaxValue => (long)b,
        _ => throw new InvalidDataException("expected an integer in a tensor description"),
    };

    static long[] AsLongs(object? o) => o switch
    {
        object?[] t => t.Select(AsLong).ToArray(),
        List<object?> l => l.Select(AsLong).ToArray(),
        _ => throw new InvalidDataException("expected a tuple of integers in a tensor description"),
    };

    static PyDict AsDict(object? o) => o as PyDict ?? throw new InvalidDataException("SETITEM(S) on a non-dict");
    static List<object?> AsList(object? o) => o as List<object?> ?? throw new InvalidDataException("APPEND(S) on a non-list");

    object? MemoGet(long key) =>
        _memo.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"pickle memo key {key} was never stored");

    void Push(object? o) => _stack.Add(o);

    object? Peek() => _stack.Count > 0 ? _stack[^1] : throw new InvalidDataException("pickle stack underflow");

    object? Pop()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _stack.Count <= _marks.Peek()))
            throw new InvalidDataException("pickle stack underflow");
        var o = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return o;
    }

    List<object?> PopMark()
    {
        if (_marks.Count == 0) throw new InvalidDataException("pickle MARK missing");
        int m = _marks.Pop();
        var items = _stack.GetRange(m, _stack.Count - m);
        _stack.RemoveRange(m, _stack.Count - m);
        return items;
    }

    byte ReadByte()
    {
        if (_pos >= _data.Length) throw new EndOfStreamException("the pickle ends early");
        return _data[_pos++];
    }

    ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || _pos > _data.Length - n) throw new EndOfStreamException("the pickle ends early");
        var s = _data.AsSpan(_pos, n);
        _pos += n;
        return s;
    }

    static int CheckedLength(ulong n) =>
        n <= int.MaxValue ? (int)n : throw new InvalidDataException("pickle item length out of range");
    static int CheckedLength(long n) => n >= 0 ? CheckedLength((ulong)n) : throw new InvalidDataException("negative pickle length");

    string Utf8(int n) => Encoding.UTF8.GetString(Take(n));
    string Latin1(int n) => Encoding.Latin1.GetString(Take(n));

    string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw new EndOfStreamException("the pickle ends early");
        var s = Encoding.UTF8.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    static long ParseTextInt(string s) =>
        long.TryParse(s.Trim(), out var v) ? v : throw new InvalidDataException($"bad integer '{s}' in pickle");

    object ReadLong(int n)
    {
        var b = new BigInteger(Take(n), isUnsigned: false, isBigEndian: false);
        // Boxed explicitly: `cond ? (long)b : b` would convert the long back to a BigInteger.
        return b >= long.MinValue && b <= long.MaxValue ? (object)(long)b : b;
    }
}

/// <summary>A Python global named in a pickle (module + name). Only allow-listed ones are ever produced.</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public override string ToString() => Module + "." + Name;
}

/// <summary>What torch._utils._rebuild_tensor_v2 would build, kept as a description: the tensor is only materialised
/// once we know it belongs to the state dict we want.</summary>
internal sealed record TensorRef(object Storage, long Offset, long[] Size, long[] Stride);

/// <summary>A pickle named a global outside the allow list; unpickling it in Python would import and run that code.</summary>
internal sealed class UnsafePickleException(string global) : Exception(global)
{
    public string Global { get; } = global;
}
