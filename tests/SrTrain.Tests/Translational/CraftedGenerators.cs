using SrTrain.Models;
using static TorchSharp.torch;

namespace SrTrain.Tests.Translational;

/// <summary>The reference generators of issue 24. An SRVGGNetCompact whose weights are all zero outputs its last conv's
/// bias everywhere; pixel shuffle places bias channel c·s² + i·s + j at output pixel (s·y + i, s·x + j), and the network
/// adds nearest upsampling of its input. So with zero weights it IS nearest upsampling plus a fixed pattern of period
/// s tied to the output grid: the upsampler checkerboard corner crops cannot see.</summary>
static class CraftedGenerators
{
    public const int Scale = 4;

    /// <summary>The pattern's value at output pixel (y, x): amplitude · cos(π(y + x)/2), i.e. 1, 0, −1, 0 along either
    /// axis (period 4 = the scale). Shifted by d pixels along one axis it changes by amplitude · 1 on average, for
    /// every d = 1, 2, 3: over t = 0…3, |cos(π(t+d)/2) − cos(πt/2)| is 1, 1, 1, 1 for d = 1 and 3, and 2, 0, 2, 0 for
    /// d = 2. That is the independent number phase_err is checked against.</summary>
    public static float Pattern(int y, int x, float amplitude) => amplitude * (float)Math.Round(Math.Cos(Math.PI * ((y + x) % 4) / 2));

    /// <summary>SRVGGNetCompact x4 (16 features, 4 body convs, as the bundled quickstart model) with every weight
    /// zero and only its last conv's bias set to <see cref="Pattern"/> (amplitude 0: plain nearest upsampling).</summary>
    public static SrVggNetCompact PatternSrVgg(float amplitude)
    {
        var net = new SrVggNetCompact(numFeat: 16, numConv: 4, upscale: Scale);
        using var noGrad = no_grad();
        foreach (var p in net.parameters()) p.zero_();
        var bias = new float[3 * Scale * Scale];
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < Scale; i++)
                for (int j = 0; j < Scale; j++)
                    bias[c * Scale * Scale + i * Scale + j] = Pattern(i, j, amplitude);
        var last = net.named_parameters().Last(p => p.name.EndsWith(".bias", StringComparison.Ordinal));
        last.parameter.copy_(tensor(bias, device: CPU));
        return net;
    }

    /// <summary>An untrained SRVGGNetCompact x4 (16 features, 4 body convs): zero padding makes its output depend on
    /// the distance to the crop border within its receptive field (6 LQ pixels), and on nothing else.</summary>
    public static SrVggNetCompact BorderDependentSrVgg(int seed)
    {
        manual_seed(seed);
        return new SrVggNetCompact(numFeat: 16, numConv: 4, upscale: Scale);
    }
}
