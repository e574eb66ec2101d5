using Serilog;
using SrTrain.Interop;
using SrTrain.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Inference;

/// <summary>A loaded generator ready for inference: eval mode, no gradients, on the chosen device. Takes (1,3,h,w) CPU
/// tensors of any size and returns (1,3,h·s,w·s) CPU tensors, padding inputs the network cannot take as they are.</summary>
internal sealed class Upscaler : IDisposable
{
    readonly nn.Module<Tensor, Tensor> _net;
    readonly Device _device;
    readonly bool _half;

    /// <param name="half">Compute in float16 (Real-ESRGAN's default on CUDA; half the memory, faster on tensor cores).
    /// Inputs and outputs stay float32.</param>
    public Upscaler(nn.Module<Tensor, Tensor> generator, GeneratorSpec spec, Device device, bool half = false)
    {
        _net = generator;
        _net.eval();
        _net.to(device);
        _half = half;
        if (half) _net.half();
        _device = device;
        Spec = spec;
        Multiple = RequiredMultiple(spec);
    }

    /// <summary>Loads a generator file (architecture detected from its keys) onto <paramref name="device"/>.</summary>
    public static Upscaler Load(string weightsPath, Device device, ILogger? log = null, bool half = false)
    {
        var net = NetworkFactory.LoadGenerator(weightsPath, out var spec);
        log?.Information("Model {Path}: {Arch} x{Scale}, {Feat} features, {Blocks} blocks", weightsPath, spec.Arch, spec.Scale, spec.NumFeat, spec.NumBlock);
        return new Upscaler(net, spec, device, half);
    }

    public GeneratorSpec Spec { get; }
    public int Scale => Spec.Scale;

    /// <summary>Input sides must be multiples of this: RRDBNet x2 and x1 pixel-unshuffle their input by 2 and 4.</summary>
    public int Multiple { get; }

    static int RequiredMultiple(GeneratorSpec spec) => InputPadding.RequiredMultiple(spec.Arch == GeneratorSpec.RrdbNet, spec.Scale);

    /// <summary>Upscales (1,3,h,w) in [0,1] to (1,3,h·s,w·s) on the CPU (not clamped). Sides that are not a multiple of
    /// <see cref="Multiple"/> are reflect-padded at the bottom/right and the output cropped back, as Real-ESRGAN's
    /// <c>RealESRGANer.pre_process</c> does (reflection rather than zeros, so the border sees image-like content).</summary>
    public Tensor Run(Tensor lq)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = _half ? lq.to(_device).half() : lq.to(_device);
        var y = InputPadding.Run(_net.call, x, Multiple, Scale).cpu().@float().contiguous();
        // Clamping would turn infinities into white and keep NaN: a non-finite output is a broken
        // model (or float16 overflow), never an image.
        using (var finite = y.isfinite().all())
            if (!finite.item<bool>())
                throw new SrTrainException("the model's output is not finite (NaN or infinity)" +
                                           (_half ? "; float16 overflowed, try without --half" : ": its weights are broken or overflow on this image"));
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>A tiled upscaler over <see cref="Run"/> (<paramref name="tile"/> 0 = whole image).</summary>
    public TiledUpscaler Tiled(int tile, int overlap, ILogger? log = null) => new(Run, Scale, tile, overlap, log);

    public void Dispose() => _net.Dispose();
}
