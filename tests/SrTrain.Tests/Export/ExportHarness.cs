using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Interop;
using SrTrain.Models;
using SrTrain.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Tests.Export;

/// <summary>What the export tests share: small generators with seeded weights, odd-sized photo crops as 16-bit PNGs
/// (so `srtrain upscale` writes 16-bit outputs, quantised by at most 0.5/65535 ≈ 7.6e-6), and ONNX Runtime runs.</summary>
internal static class ExportHarness
{
    static ExportHarness() => NativeRuntime.EnsureLoaded();

    /// <summary>Every generator and scale SrTrain trains (config validation: RRDBNet 1, 2, 4, 8; MSRResNet 2, 3, 4;
    /// SRVGGNetCompact 1, 2, 3, 4, 8).</summary>
    public static readonly (GeneratorType Type, int Scale)[] AllArchitectures =
    [
        (GeneratorType.RRDBNet, 1), (GeneratorType.RRDBNet, 2), (GeneratorType.RRDBNet, 4), (GeneratorType.RRDBNet, 8),
        (GeneratorType.MSRResNet, 2), (GeneratorType.MSRResNet, 3), (GeneratorType.MSRResNet, 4),
        (GeneratorType.SRVGGNetCompact, 1), (GeneratorType.SRVGGNetCompact, 2), (GeneratorType.SRVGGNetCompact, 3),
        (GeneratorType.SRVGGNetCompact, 4), (GeneratorType.SRVGGNetCompact, 8),
    ];

    /// <summary>Odd sizes (width, height), none a multiple of 2 or 4: RRDBNet x2/x1 must pad and crop.</summary>
    public static readonly (int W, int H)[] OddSizes = [(37, 29), (23, 17), (13, 31)];

    /// <summary>A small generator (8 features, 2 blocks / 1 RRDB of growth 4) with weights drawn from a fixed seed at a
    /// scale that makes every layer matter (default init scales residual branches by 0.1, which would hide a wrong
    /// layer under the skip connections), saved as a .pth (params_ema) at <paramref name="path"/>.</summary>
    public static string SaveGenerator(string path, GeneratorType type, int scale, long seed = 26)
    {
        var g = new GeneratorConfig { Type = type, NumFeat = 8, NumBlock = type == GeneratorType.RRDBNet ? 1 : 2, NumGrowCh = 4 };
        using var net = NetworkFactory.CreateGenerator(g, scale);
        using var gen = new Generator((ulong)seed);
        using (torch.no_grad())
        {
            foreach (var (name, p) in net.named_parameters())
            {
                using var scope = torch.NewDisposeScope();
                if (p.dim() == 4)
                {
                    // Kaiming-uniform-like: unit gain per layer, so activations neither vanish nor explode.
                    using var s = (3.0 / Math.Sqrt(p.shape[1] * p.shape[2] * p.shape[3])).ToScalar();
                    p.copy_(torch.rand(p.shape, generator: gen).sub_(Scalars.Half).mul_(s));
                }
                else
                {
                    using var s = 0.2.ToScalar();
                    p.copy_(torch.rand(p.shape, generator: gen).mul_(s)); // biases and PReLU slopes in [0, 0.2)
                }
                if (type == GeneratorType.RRDBNet && name == "conv_last.bias")
                    p.add_(Scalars.Half, Scalars.One); // RRDBNet has no image skip: centre its output in [0, 1]
            }
        }
        WeightFile.WriteGenerator(net, path);
        return path;
    }

    /// <summary>Crops of the test photo at <see cref="OddSizes"/>, saved as 16-bit RGB PNGs in <paramref name="dir"/>.</summary>
    public static string[] SaveOddCrops(string dir)
    {
        var paths = new List<string>();
        foreach (var (w, h) in OddSizes)
        {
            using var crop = SrTrain.Tests.Cli.UpscaleCliHarness.PhotoCrop(w, h);
            using var wide = crop.CloneAs<Rgb48>();
            var path = Path.Combine(dir, $"crop{w}x{h}.png");
            wide.Save(path, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 });
            paths.Add(path);
        }
        return paths.ToArray();
    }

    /// <summary>The image as the (1,3,h,w) float32 values `upscale` feeds the network.</summary>
    public static Tensor Input(string imagePath) => ImageFile.ReadRgb(imagePath).unsqueeze(0);

    public static InferenceSession Session(string onnxPath)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        return new InferenceSession(onnxPath, options);
    }

    /// <summary>Runs the session on (N,C,h,w) float32 values; with <paramref name="half"/> the input is rounded to
    /// float16 (the model's input type) and the output widened back to float32.</summary>
    public static Tensor Run(InferenceSession session, Tensor x, bool half)
    {
        var shape = x.shape;
        var data = x.contiguous().data<float>().ToArray();
        using var input = half
            ? OrtValue.CreateTensorValueFromMemory(data.Select(v => (Float16)v).ToArray(), shape)
            : OrtValue.CreateTensorValueFromMemory(data, shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["input"], [input], ["output"]);
        var outShape = results[0].GetTensorTypeAndShape().Shape;
        float[] values = half
            ? results[0].GetTensorDataAsSpan<Float16>().ToArray().Select(v => v.ToFloat()).ToArray()
            : results[0].GetTensorDataAsSpan<float>().ToArray();
        return torch.tensor(values, outShape);
    }

    public static double MaxAbs(Tensor a, Tensor b)
    {
        Assert.Equal(a.shape, b.shape);
        return TensorOps.Sub(a, b).abs().max().item<float>();
    }
}
