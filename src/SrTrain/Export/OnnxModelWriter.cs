using Google.Protobuf;
using WireType = Google.Protobuf.WireFormat.WireType;

namespace SrTrain.Export;

/// <summary>Writes an <see cref="OnnxGraph"/> as an ONNX <c>ModelProto</c>, field by field with Google.Protobuf's
/// <see cref="CodedOutputStream"/> (no generated classes: SrTrain needs a dozen fields of onnx.proto, whose numbers
/// are the constants below). One image input (N,C,H,W) and one output with symbolic batch, height and width.</summary>
internal static class OnnxModelWriter
{
    // onnx/onnx.proto field numbers.
    const int ModelIrVersion = 1, ModelProducerName = 2, ModelProducerVersion = 3, ModelGraph = 7, ModelOpsetImport = 8, ModelMetadata = 14;
    const int OpsetDomain = 1, OpsetVersion = 2;
    const int EntryKey = 1, EntryValue = 2;
    const int GraphNode = 1, GraphName = 2, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12;
    const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    const int AttrName = 1, AttrF = 2, AttrI = 3, AttrS = 4, AttrInts = 8, AttrType = 20;
    const int TensorDims = 1, TensorDataType = 2, TensorName = 8, TensorRawData = 9;
    const int ValueName = 1, ValueType = 2;
    const int TypeTensorType = 1, TensorElemType = 1, TensorShape = 2;
    const int ShapeDim = 1, DimValue = 1, DimParam = 2;

    /// <summary>The ONNX IR version that goes with an opset (onnx/docs/Versioning.md): the oldest that has it, so
    /// older runtimes and checkers accept the file.</summary>
    public static long IrVersionFor(int opset) => opset switch
    {
        <= 18 => 8,
        <= 20 => 9,
        <= 22 => 10,
        _ => 11,
    };

    /// <param name="input">The input value's name and shape: a number, or a name for a dimension known at run time.</param>
    public static void Write(Stream output, OnnxGraph graph, string graphName, int opset,
        (string Name, object[] Dims) input, (string Name, object[] Dims) outputValue,
        IReadOnlyList<KeyValuePair<string, string>> metadata, string producerVersion)
    {
        using var cos = new CodedOutputStream(output, leaveOpen: true);
        Int(cos, ModelIrVersion, IrVersionFor(opset));
        Str(cos, ModelProducerName, "srtrain");
        Str(cos, ModelProducerVersion, producerVersion);
        Sub(cos, ModelOpsetImport, c =>
        {
            Str(c, OpsetDomain, "");
            Int(c, OpsetVersion, opset);
        });
        Sub(cos, ModelGraph, c => WriteGraph(c, graph, graphName, input, outputValue));
        foreach (var (key, value) in metadata)
            Sub(cos, ModelMetadata, c =>
            {
                Str(c, EntryKey, key);
                Str(c, EntryValue, value);
            });
        cos.Flush();
    }

    static void WriteGraph(CodedOutputStream c, OnnxGraph graph, string name, (string Name, object[] Dims) input, (string Name, object[] Dims) output)
    {
        foreach (var node in graph.Nodes) Sub(c, GraphNode, n => WriteNode(n, node));
        Str(c, GraphName, name);
        foreach (var init in graph.Initializers) Sub(c, GraphInitializer, t => WriteTensor(t, init));
        Sub(c, GraphInput, v => WriteValueInfo(v, input.Name, graph.ElemType, input.Dims));
        Sub(c, GraphOutput, v => WriteValueInfo(v, output.Name, graph.ElemType, output.Dims));
    }

    static void WriteNode(CodedOutputStream c, OnnxNode node)
    {
        foreach (var i in node.Inputs) Str(c, NodeInput, i);
        foreach (var o in node.Outputs) Str(c, NodeOutput, o);
        Str(c, NodeName, node.Name);
        Str(c, NodeOpType, node.OpType);
        foreach (var a in node.Attributes) Sub(c, NodeAttribute, w => WriteAttribute(w, a));
    }

    static void WriteAttribute(CodedOutputStream c, OnnxAttribute a)
    {
        Str(c, AttrName, a.Name);
        switch (a.Type)
        {
            case OnnxAttribute.FloatType:
                c.WriteTag(AttrF, WireType.Fixed32);
                c.WriteFloat(a.F);
                break;
            case OnnxAttribute.IntType:
                Int(c, AttrI, a.I);
                break;
            case OnnxAttribute.StringType:
                c.WriteTag(AttrS, WireType.LengthDelimited);
                c.WriteBytes(ByteString.CopyFromUtf8(a.S!));
                break;
            case OnnxAttribute.IntsType:
                // Repeated scalars unpacked, one tag each: onnx.proto is proto2, where that is the default encoding.
                foreach (var v in a.Ints!) Int(c, AttrInts, v);
                break;
            default:
                throw new InvalidOperationException($"attribute type {a.Type}");
        }
        Int(c, AttrType, a.Type);
    }

    static void WriteTensor(CodedOutputStream c, OnnxInitializer t)
    {
        foreach (var d in t.Dims) Int(c, TensorDims, d);
        Int(c, TensorDataType, t.DataType);
        Str(c, TensorName, t.Name);
        c.WriteTag(TensorRawData, WireType.LengthDelimited);
        c.WriteBytes(UnsafeByteOperations.UnsafeWrap(t.RawData));
    }

    static void WriteValueInfo(CodedOutputStream c, string name, int elemType, object[] dims)
    {
        Str(c, ValueName, name);
        Sub(c, ValueType, type => Sub(type, TypeTensorType, tensor =>
        {
            Int(tensor, TensorElemType, elemType);
            Sub(tensor, TensorShape, shape =>
            {
                foreach (var d in dims)
                    Sub(shape, ShapeDim, dim =>
                    {
                        if (d is string param) Str(dim, DimParam, param);
                        else Int(dim, DimValue, Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture));
                    });
            });
        }));
    }

    static void Int(CodedOutputStream c, int field, long value)
    {
        c.WriteTag(field, WireType.Varint);
        c.WriteInt64(value);
    }

    static void Str(CodedOutputStream c, int field, string value)
    {
        c.WriteTag(field, WireType.LengthDelimited);
        c.WriteString(value);
    }

    /// <summary>An embedded message: written to a buffer first, since its length comes before it.</summary>
    static void Sub(CodedOutputStream c, int field, Action<CodedOutputStream> body)
    {
        var buffer = new MemoryStream();
        using (var inner = new CodedOutputStream(buffer, leaveOpen: true))
            body(inner);
        c.WriteTag(field, WireType.LengthDelimited);
        c.WriteBytes(UnsafeByteOperations.UnsafeWrap(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)));
    }
}
