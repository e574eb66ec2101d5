using static TorchSharp.torch;

namespace SrTrain.Interop;

/// <summary>The tensor element types SrTrain reads and writes, one row each: element size, the storage class that
/// names it in a PyTorch pickle (.pth) and its safetensors name. The .pth reader and writer and the safetensors file
/// all look types up here.</summary>
internal static class TensorDTypes
{
    internal sealed record Row(ScalarType Type, int Size, string Storage, string Safetensors);

    static readonly Row[] Rows =
    {
        new(ScalarType.Float32, 4, "FloatStorage", "F32"),
        new(ScalarType.Float64, 8, "DoubleStorage", "F64"),
        new(ScalarType.Float16, 2, "HalfStorage", "F16"),
        new(ScalarType.BFloat16, 2, "BFloat16Storage", "BF16"),
        new(ScalarType.Int64, 8, "LongStorage", "I64"),
        new(ScalarType.Int32, 4, "IntStorage", "I32"),
        new(ScalarType.Int16, 2, "ShortStorage", "I16"),
        new(ScalarType.Int8, 1, "CharStorage", "I8"),
        new(ScalarType.Byte, 1, "ByteStorage", "U8"),
        new(ScalarType.Bool, 1, "BoolStorage", "BOOL"),
    };

    /// <summary>The row of a pickled storage class; newer PyTorch writes untyped (byte) storages. Null: unsupported.</summary>
    public static Row? FromStorage(string name) =>
        name == "UntypedStorage" ? Of(ScalarType.Byte) : Rows.FirstOrDefault(r => r.Storage == name);

    /// <summary>The row of a safetensors dtype name. Null: unsupported.</summary>
    public static Row? FromSafetensors(string name) => Rows.FirstOrDefault(r => r.Safetensors == name);

    /// <summary>The row of a tensor type. Null: not writable.</summary>
    public static Row? Of(ScalarType type) => Rows.FirstOrDefault(r => r.Type == type);

    /// <summary>Loaded floating-point weights become float32 (the trainer computes in float32); integer tensors such as
    /// num_batches_tracked keep their type.</summary>
    public static ScalarType LoadedType(ScalarType stored) =>
        stored is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64 ? ScalarType.Float32 : stored;

    /// <summary>Bytes per element once loaded (<see cref="LoadedType"/>).</summary>
    public static int LoadedSize(ScalarType stored, int storedSize) => LoadedType(stored) == stored ? storedSize : 4;
}
