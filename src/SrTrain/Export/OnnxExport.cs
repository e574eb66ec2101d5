using System.Globalization;
using SrTrain.Interop;
using static TorchSharp.torch;

namespace SrTrain.Export;

/// <summary>A generator as an ONNX model: the graph of its architecture (an explicit switch, as in
/// <c>NetworkFactory</c>), one input <c>input</c> (batch, channels, height, width) and one output <c>output</c>, batch,
/// height and width dynamic, and the architecture and its options in the model's metadata.</summary>
internal static class OnnxExport
{
    public const int DefaultOpset = 17;
    /// <summary>13: the first opset where Resize's roi may be left out. 21: the newest the ONNX Runtime the tests run
    /// was checked with for every operator used here.</summary>
    public const int MinOpset = 13, MaxOpset = 21;

    public const string InputName = "input", OutputName = "output";

    public static void Write(Stream output, GeneratorSpec spec, IReadOnlyDictionary<string, Tensor> stateDict, bool half, int opset)
    {
        var graph = new OnnxGraph(half);
        string result = spec.Arch switch
        {
            GeneratorSpec.RrdbNet => OnnxRrdbNet.Build(graph, spec, stateDict, InputName),
            GeneratorSpec.MsrResNet => OnnxMsrResNet.Build(graph, spec, stateDict, InputName),
            GeneratorSpec.SrVggNetCompact => OnnxSrVggNetCompact.Build(graph, spec, stateDict, InputName),
            _ => throw new SrTrainException($"{spec.Arch}: no ONNX export for this architecture"),
        };
        // The graph's last node writes the output value under its own name; an Identity gives it the public name.
        graph.Identity(result, OutputName);
        OnnxModelWriter.Write(output, graph, $"{spec.Arch}_x{spec.Scale}", opset,
            (InputName, ["batch", (long)spec.NumInCh, "height", "width"]),
            (OutputName, ["batch", (long)spec.NumOutCh, "out_height", "out_width"]),
            Metadata(spec, half), ProducerVersion());
    }

    /// <summary>The model's description in metadata_props, what chaiNNer-style loaders and people reading the file
    /// with <c>onnx.load(...).metadata_props</c> look for first.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Metadata(GeneratorSpec spec, bool half)
    {
        var m = new List<KeyValuePair<string, string>>
        {
            new("architecture", spec.Arch),
            new("scale", Text(spec.Scale)),
            new("num_in_ch", Text(spec.NumInCh)),
            new("num_out_ch", Text(spec.NumOutCh)),
            new("num_feat", Text(spec.NumFeat)),
            new(spec.Arch == GeneratorSpec.SrVggNetCompact ? "num_conv" : "num_block", Text(spec.NumBlock)),
        };
        if (spec.Arch == GeneratorSpec.RrdbNet) m.Add(new("num_grow_ch", Text(spec.NumGrowCh)));
        m.Add(new("precision", half ? "fp16" : "fp32"));
        m.Add(new("input_range", "0-1 RGB, NCHW"));
        return m;

        static string Text(int v) => v.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A state-dict tensor the architecture's graph needs.</summary>
    public static Tensor Get(IReadOnlyDictionary<string, Tensor> sd, string key) =>
        sd.TryGetValue(key, out var t) ? t : throw new SrTrainException($"the generator has no '{key}', which its architecture's graph needs");

    static string ProducerVersion() =>
        typeof(OnnxExport).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
