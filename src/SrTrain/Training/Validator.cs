using Serilog;
using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Evaluation;
using SrTrain.Models;
using SrTrain.Runtime;
using static TorchSharp.torch;

namespace SrTrain.Training;

/// <summary>Validation on the validation folder: PSNR/SSIM as BasicSR computes them (Y channel with the border
/// cropped, and RGB), the VGG-16 perceptual distance when VGG weights are configured, and the shift-consistency
/// error the translational term targets. The same metrics for plain bicubic upscaling are computed once, as the
/// baseline row. A few outputs are saved as PNGs: LQ (nearest) | output | HQ.</summary>
internal sealed class Validator : IDisposable
{
    readonly IReadOnlyList<ValidationPair> _pairs;
    readonly VggFeatures? _vgg;
    readonly Device _device;
    readonly SrTrainConfig _c;
    readonly int _multiple, _shiftK;

    public Validator(SrTrainConfig c, VggFeatures? vgg, Device device, ILogger log)
    {
        _c = c;
        _vgg = vgg;
        // RRDBNet x2/x1 takes only inputs on its pixel-unshuffle grid: pad like Upscaler, and shift on the grid.
        _multiple = InputPadding.RequiredMultiple(c.NetworkG.Type == GeneratorType.RRDBNet, c.Scale);
        _shiftK = InputPadding.ShiftOnGrid(c.Val.ShiftK, _multiple);
        if (_shiftK != c.Val.ShiftK)
            log.Information("Validation: val.shift_k {K} is off RRDBNet x{Scale}'s {Multiple}-pixel grid; measuring the shift-consistency error at {Shift}",
                c.Val.ShiftK, c.Scale, _multiple, _shiftK);
        _device = device;
        var v = c.Datasets.Val;
        var pairs = ValidationSet.LoadValidationSet(v.DatarootGt, string.IsNullOrWhiteSpace(v.DatarootLq) ? null : v.DatarootLq,
            c.Scale, c.Datasets.Train.MaxImagePixels, log);
        _pairs = pairs.Select(p => CenterCrop(p, c.Val.MaxLqSize, c.Scale)).ToList();
        if (vgg is null)
            log.Information("Validation: {Count} image(s); no VGG-16 weights (path.vgg16), so no perceptual distance", _pairs.Count);
        else
            log.Information("Validation: {Count} image(s)", _pairs.Count);
        Baseline = Measure(lq => MatlabResize.Resize(lq, c.Scale).clamp(Scalars.Zero, Scalars.One));
    }

    /// <summary>val.crop_border, or the scale when it is -1 (BasicSR's crop_border = scale, as <c>eval</c> uses).</summary>
    int CropBorder => _c.Val.CropBorder < 0 ? _c.Scale : _c.Val.CropBorder;

    /// <summary>Bicubic (MATLAB-style) upscaling's metrics on the same images.</summary>
    public Dictionary<string, double> Baseline { get; }

    /// <summary>The generator's metrics on the validation images, whose outputs are written into <paramref name="saveDir"/>.</summary>
    public Dictionary<string, double> Run(nn.Module<Tensor, Tensor> generator, string saveDir)
    {
        bool wasTraining = generator.training;
        generator.eval();
        try
        {
            return Measure(lq => InputPadding.Run(generator.call, lq, _multiple, _c.Scale).clamp(Scalars.Zero, Scalars.One), saveDir);
        }
        finally
        {
            if (wasTraining) generator.train();
        }
    }

    Dictionary<string, double> Measure(Func<Tensor, Tensor> upscale, string? saveDir = null)
    {
        var sums = new Dictionary<string, double>();
        void Add(string k, double v) => sums[k] = sums.GetValueOrDefault(k) + v;
        for (int i = 0; i < _pairs.Count; i++)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var pair = _pairs[i];
            var (metrics, output) = ImageMetrics.Measure($"validation image {pair.Name}", upscale, pair.Lq.to(_device), pair.Hq,
                _c.Scale, CropBorder, _shiftK, _vgg, _device);
            foreach (var (k, v) in metrics) Add(k, v);
            if (saveDir != null && i < _c.Val.SaveImages)
                SaveSideBySide(pair, output, Path.Combine(saveDir, SafeName(pair.Name) + ".png"));
        }
        return sums.ToDictionary(kv => kv.Key, kv => kv.Value / _pairs.Count);
    }

    void SaveSideBySide(ValidationPair pair, Tensor output, string path)
    {
        var lqUp = nn.functional.interpolate(pair.Lq, scale_factor: new double[] { _c.Scale, _c.Scale }, mode: InterpolationMode.Nearest);
        var row = cat(new[] { lqUp, output.clamp(Scalars.Zero, Scalars.One), pair.Hq }, 3);
        ImageFile.WriteRgb(row[0], path);
    }

    static string SafeName(string name) => string.Concat(name.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_'));

    /// <summary>Large validation images are center-cropped (on the LQ grid, so LQ and HQ stay aligned) to bound the time a
    /// validation takes on a CPU.</summary>
    static ValidationPair CenterCrop(ValidationPair p, int maxLq, int scale)
    {
        long h = p.Lq.shape[2], w = p.Lq.shape[3];
        if (h <= maxLq && w <= maxLq) return p;
        long ch = Math.Min(h, maxLq), cw = Math.Min(w, maxLq);
        long top = (h - ch) / 2, left = (w - cw) / 2;
        var lq = p.Lq[.., .., TensorIndex.Slice(top, top + ch), TensorIndex.Slice(left, left + cw)].contiguous();
        var hq = p.Hq[.., .., TensorIndex.Slice(top * scale, (top + ch) * scale), TensorIndex.Slice(left * scale, (left + cw) * scale)].contiguous();
        var cropped = new ValidationPair(p.Name, lq.DetachFromDisposeScope(), hq.DetachFromDisposeScope());
        p.Dispose();
        return cropped;
    }

    public void Dispose()
    {
        foreach (var p in _pairs) p.Dispose();
    }
}
