using System.Buffers.Binary;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Export;

/// <summary>An ONNX graph under construction: nodes in execution order (ONNX wants them topologically sorted, and a
/// generator's forward is already that order), initializers, one input and one output. Each method adds the node of
/// the PyTorch operation it is named after and returns the name of its output value, so a network's graph reads like
/// its <c>forward</c>. Weights and activations are in <see cref="ElemType"/> (float32, or float16 for <c>--fp16</c>);
/// shape arithmetic is int64 and Resize's scales stay float32, as the operators require.</summary>
internal sealed class OnnxGraph
{
    public const int Float = 1, Int64 = 7, Float16 = 10;

    readonly List<OnnxNode> _nodes = [];
    readonly List<OnnxInitializer> _initializers = [];
    readonly Dictionary<string, int> _opCounts = [];
    readonly HashSet<string> _names = [];

    /// <param name="half">Weights, input and output in float16 instead of float32.</param>
    public OnnxGraph(bool half) => ElemType = half ? Float16 : Float;

    /// <summary><see cref="Float"/> or <see cref="Float16"/>: the type of the weights, the input and the output.</summary>
    public int ElemType { get; }

    public IReadOnlyList<OnnxNode> Nodes => _nodes;
    public IReadOnlyList<OnnxInitializer> Initializers => _initializers;

    /// <summary>conv(x) with a 3x3 (or any odd k×k) kernel, stride 1 and "same" padding, as every conv in SrTrain's
    /// generators; <paramref name="weight"/> and <paramref name="bias"/> become initializers named as in the state dict.</summary>
    public string Conv(string x, string name, Tensor weight, Tensor? bias)
    {
        if (weight.dim() != 4 || weight.shape[2] != weight.shape[3] || weight.shape[2] % 2 != 1)
            throw new SrTrainException($"{name}: a convolution weight of shape [{string.Join(", ", weight.shape)}] is not an odd square kernel");
        long k = weight.shape[2], pad = k / 2;
        var inputs = new List<string> { x, Weight(name + ".weight", weight) };
        if (bias is not null) inputs.Add(Weight(name + ".bias", bias));
        return Node("Conv", inputs, name,
            OnnxAttribute.OfInts("kernel_shape", k, k), OnnxAttribute.OfInts("pads", pad, pad, pad, pad),
            OnnxAttribute.OfInts("strides", 1, 1), OnnxAttribute.OfInts("dilations", 1, 1), OnnxAttribute.OfInt("group", 1));
    }

    public string LeakyRelu(string x, float slope) => Node("LeakyRelu", [x], null, OnnxAttribute.OfFloat("alpha", slope));

    public string Relu(string x) => Node("Relu", [x], null);

    /// <summary>PyTorch's PReLU: one slope per channel, broadcast over (N,C,H,W) as a (C,1,1) tensor.</summary>
    public string PRelu(string x, string name, Tensor weight) =>
        Node("PRelu", [x, Weight(name + ".weight", weight.reshape(weight.shape[0], 1, 1))], name);

    /// <summary>Copies <paramref name="x"/> to a value named <paramref name="name"/> (the graph's output).</summary>
    public void Identity(string x, string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"ONNX value name {name} used twice");
        _nodes.Add(new OnnxNode("Identity", name + "/Identity", [x], [name], []));
    }

    public string Add(string a, string b) => Node("Add", [a, b], null);

    /// <summary>x · <paramref name="factor"/>, the factor rounded to the graph's type as PyTorch rounds a Python float
    /// multiplied into a tensor of that type.</summary>
    public string Mul(string x, float factor) => Node("Mul", [x, Scalar(factor)], null);

    public string Concat(IReadOnlyList<string> xs, int axis) => Node("Concat", xs, null, OnnxAttribute.OfInt("axis", axis));

    /// <summary>F.interpolate(x, scale_factor=s, mode='nearest'): PyTorch's legacy nearest takes source pixel
    /// floor(dst / s), which is Resize's asymmetric coordinates with floor rounding.</summary>
    public string UpsampleNearest(string x, int factor) =>
        Node("Resize", [x, "", ResizeScales(factor)], null,
            OnnxAttribute.OfString("mode", "nearest"), OnnxAttribute.OfString("coordinate_transformation_mode", "asymmetric"),
            OnnxAttribute.OfString("nearest_mode", "floor"));

    /// <summary>F.interpolate(x, scale_factor=s, mode='bilinear', align_corners=False): half-pixel centres, the source
    /// coordinate clamped at 0, which ONNX calls pytorch_half_pixel (what torch.onnx writes for it).</summary>
    public string UpsampleBilinear(string x, int factor) =>
        Node("Resize", [x, "", ResizeScales(factor)], null,
            OnnxAttribute.OfString("mode", "linear"), OnnxAttribute.OfString("coordinate_transformation_mode", "pytorch_half_pixel"));

    /// <summary>F.pixel_shuffle(x, r): DepthToSpace in column-row-depth order, whose channel index c·r² + i·r + j is
    /// PyTorch's (the default DCR order is not).</summary>
    public string PixelShuffle(string x, int factor) =>
        Node("DepthToSpace", [x], null, OnnxAttribute.OfInt("blocksize", factor), OnnxAttribute.OfString("mode", "CRD"));

    /// <summary>F.pixel_unshuffle(x, r) for any height and width divisible by r, without computing shapes at run time:
    /// every Reshape keeps the dimensions it does not split (0) and infers one (-1), and Transposes bring the two
    /// dimensions to split next into place. (N,C,H,W) → (N,C,H,W/r,r) → (N,C,W/r,r,H) → (N,C,W/r,r,H/r,r) →
    /// (N,H/r,W/r,C,r,r) → (N,H/r,W/r,C·r²) → (N,C·r²,H/r,W/r), the channel index c·r² + i·r + j as in PyTorch.
    /// (SpaceToDepth orders the channels the other way round.)</summary>
    public string PixelUnshuffle(string x, int factor)
    {
        long r = factor;
        var a = Reshape(x, 0, 0, 0, -1, r);                  // N, C, H, W/r, rx
        a = Transpose(a, 0, 1, 3, 4, 2);                     // N, C, W/r, rx, H
        a = Reshape(a, 0, 0, 0, 0, -1, r);                   // N, C, W/r, rx, H/r, ry
        a = Transpose(a, 0, 4, 2, 1, 5, 3);                  // N, H/r, W/r, C, ry, rx
        a = Reshape(a, 0, 0, 0, -1);                         // N, H/r, W/r, C·r·r
        return Transpose(a, 0, 3, 1, 2);                     // N, C·r·r, H/r, W/r
    }

    /// <summary>What <c>InputPadding.Run</c> does around RRDBNet x2/x1: pad the bottom and right up to a multiple of
    /// <paramref name="multiple"/> by reflection (by repeating the edge when a side is shorter than its pad, as there),
    /// run <paramref name="body"/>, crop the output back to (h·s, w·s). The pad is computed from the input's shape in
    /// the graph, so the file takes any height and width. The padding is a Gather of row and column indices rather than
    /// Pad(mode=reflect), which ONNX Runtime refuses for a pad as long as the side; the indices of both kinds are made
    /// and Where picks one, so nothing invalid is ever gathered.</summary>
    public string PaddedToMultiple(string x, int multiple, int scale, Func<string, string> body)
    {
        var shape = Node("Shape", [x], null);
        var hw = Node("Gather", [shape, Int64s("hw_axes", 2, 3)], null, OnnxAttribute.OfInt("axis", 0));
        var m = Int64s($"multiple_{multiple}", multiple);
        var pad = Node("Mod", [Node("Sub", [m, Node("Mod", [hw, m], null)], null), m], null);
        // Reflection when both pads are shorter than their sides (min(h - padH, w - padW) > 0), else replication.
        var zero = Int64Scalar(0);
        var reflect = Node("Greater", [Node("ReduceMin", [Node("Sub", [hw, pad], null)], null, OnnxAttribute.OfInt("keepdims", 0)), zero], null);
        var padded = x;
        for (int axis = 0; axis < 2; axis++)
        {
            var index = Int64Scalar(axis);
            var n = Node("Gather", [hw, index], null, OnnxAttribute.OfInt("axis", 0));
            var p = Node("Gather", [pad, index], null, OnnxAttribute.OfInt("axis", 0));
            var one = Int64Scalar(1);
            var k = Node("Range", [zero, p, one], null);                                         // 0 … p-1
            var mirrored = Node("Sub", [Node("Sub", [n, Int64Scalar(2)], null), k], null);       // n-2-k
            var edge = Node("Add", [Node("Mul", [k, zero], null), Node("Sub", [n, one], null)], null); // n-1, p times
            var rows = Node("Concat", [Node("Range", [zero, n, one], null), Node("Where", [reflect, mirrored, edge], null)], null,
                OnnxAttribute.OfInt("axis", 0));
            padded = Node("Gather", [padded, rows], null, OnnxAttribute.OfInt("axis", 2 + axis));
        }
        var y = body(padded);
        var end = scale == 1 ? hw : Node("Mul", [hw, Int64s($"scale_{scale}", scale)], null);
        return Node("Slice", [y, Int64s("crop_starts", 0, 0), end, Int64s("crop_axes", 2, 3)], null);
    }

    string Reshape(string x, params long[] shape) =>
        Node("Reshape", [x, Int64s($"shape_{string.Join("_", shape).Replace('-', 'm')}", shape)], null);

    string Transpose(string x, params long[] perm) => Node("Transpose", [x], null, OnnxAttribute.OfInts("perm", perm));

    /// <summary>Adds a node and returns its output's name (the node's name, unique: "<paramref name="name"/>" or
    /// "&lt;op&gt;_&lt;n&gt;").</summary>
    string Node(string op, IReadOnlyList<string> inputs, string? name, params OnnxAttribute[] attributes)
    {
        if (name is null)
        {
            _opCounts[op] = _opCounts.GetValueOrDefault(op) + 1;
            name = $"{op}_{_opCounts[op]}";
        }
        else name = $"{name}/{op}";
        if (!_names.Add(name)) throw new InvalidOperationException($"ONNX node name {name} used twice");
        _nodes.Add(new OnnxNode(op, name, inputs.ToArray(), [name], attributes));
        return name;
    }

    /// <summary>A float tensor from the state dict as an initializer in the graph's type.</summary>
    string Weight(string name, Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        var typed = t.detach().cpu().to(ElemType == Float16 ? ScalarType.Float16 : ScalarType.Float32).contiguous();
        return Initializer(name, typed.shape, ElemType, typed.bytes.ToArray());
    }

    string Scalar(float value)
    {
        string name = $"const_{value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}";
        if (_initializers.Any(i => i.Name == name)) return name;
        var bytes = new byte[ElemType == Float16 ? 2 : 4];
        if (ElemType == Float16) BinaryPrimitives.WriteHalfLittleEndian(bytes, (Half)value);
        else BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        return Initializer(name, [], ElemType, bytes);
    }

    /// <summary>Resize's scales input, (1, 1, s, s); float32 whatever the graph's type.</summary>
    string ResizeScales(int factor)
    {
        string name = $"resize_scales_{factor}";
        if (_initializers.Any(i => i.Name == name)) return name;
        var bytes = new byte[16];
        float[] values = [1, 1, factor, factor];
        for (int i = 0; i < 4; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return Initializer(name, [4], Float, bytes);
    }

    string Int64s(string name, params long[] values)
    {
        if (_initializers.Any(i => i.Name == name)) return name;
        var bytes = new byte[8 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), values[i]);
        return Initializer(name, [values.Length], Int64, bytes);
    }

    /// <summary>A 0-d int64 constant (shared).</summary>
    string Int64Scalar(long value)
    {
        string name = $"int64_{value}";
        if (_initializers.Any(i => i.Name == name)) return name;
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return Initializer(name, [], Int64, bytes);
    }

    string Initializer(string name, long[] dims, int dataType, byte[] raw)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"ONNX value name {name} used twice");
        _initializers.Add(new OnnxInitializer(name, dims, dataType, raw));
        return name;
    }
}

/// <summary>One operator call: its inputs and outputs by value name ("" for an omitted optional input).</summary>
internal sealed record OnnxNode(string OpType, string Name, string[] Inputs, string[] Outputs, OnnxAttribute[] Attributes);

/// <summary>A constant tensor of the graph, stored little-endian in <c>raw_data</c>.</summary>
internal sealed record OnnxInitializer(string Name, long[] Dims, int DataType, byte[] RawData);

/// <summary>A node attribute: exactly one of the values is set, and <see cref="Type"/> says which (AttributeProto's
/// AttributeType numbers).</summary>
internal sealed record OnnxAttribute(string Name, int Type, long I = 0, float F = 0, long[]? Ints = null, string? S = null)
{
    public const int FloatType = 1, IntType = 2, StringType = 3, IntsType = 7;

    public static OnnxAttribute OfInt(string name, long value) => new(name, IntType, I: value);
    public static OnnxAttribute OfFloat(string name, float value) => new(name, FloatType, F: value);
    public static OnnxAttribute OfInts(string name, params long[] values) => new(name, IntsType, Ints: values);
    public static OnnxAttribute OfString(string name, string value) => new(name, StringType, S: value);
}
