using SrTrain.Config;
using SrTrain.Runtime;
using SrTrain.Translational;

namespace SrTrain.Data;

/// <summary>Free and sub-pixel views (losses.translational.views Free and SubPixel): for each sample, two crops of
/// gt_size at offsets drawn inside the full patch of fullPatchSize = gt_size + scale·k, instead of two of its four
/// corners. Every crop at an offset in [0, scale·k] contains the patch's central region [scale·k, gt_size) per axis, so
/// the two outputs are compared there, a (gt_size − scale·k)² square, the same region corners compare.
/// <list type="bullet">
/// <item>Free: offsets in whole LQ pixels (0…k per axis), the LQ cut from the full LQ patch as corners are; the two
/// offsets differ.</item>
/// <item>SubPixel: offsets in HQ pixels (0…scale·k per axis), their difference not a multiple of scale on at least one
/// axis; each view's LQ is MATLAB bicubic of its own HQ crop, rounded to 8 bits, then degraded with the same draws as
/// the other view's. The LQ can no longer be a window of the whole image's downscale (that grid is fixed), so both
/// views, the main one included, see the bicubic kernel's edge handling at their own crop border.</item>
/// </list>
/// Draws come from the sample's own stream after the sample's other draws, so the images, crops and flips of a step
/// are those of the corner mode.</summary>
internal sealed class OffsetViews
{
    readonly TranslationalViews _mode;
    readonly int _full, _scale, _shift, _crop, _shared;

    public OffsetViews(TranslationalViews mode, int fullPatchSize, int scale, int shift)
    {
        if (mode == TranslationalViews.Corners) throw new ArgumentException("corner views are cut by TranslationalCrops", nameof(mode));
        TranslationalCrops.Validate(fullPatchSize, scale, shift);
        if (mode == TranslationalViews.SubPixel && scale < 2)
            throw new SrTrainException($"losses.translational.views SubPixel: needs scale 2 or more (x{scale} has no sub-pixel offsets)");
        _mode = mode;
        _full = fullPatchSize;
        _scale = scale;
        _shift = shift;
        _crop = TranslationalCrops.CropSize(fullPatchSize, scale, shift);
        _shared = TranslationalCrops.SharedSize(fullPatchSize, scale, shift);
    }

    /// <summary>The two HQ offsets (top, left) of one sample, in HQ pixels of the full patch.</summary>
    internal ((int Top, int Left) Main, (int Top, int Left) Second) Draw(SampleRandom rng)
    {
        if (_mode == TranslationalViews.Free)
        {
            // Uniform over the ordered pairs of different LQ positions: they must differ, or the loss is trivially zero.
            int n = _shift + 1, a = rng.NextInt(n * n), b = rng.NextInt(n * n - 1);
            if (b >= a) b++;
            return ((a / n * _scale, a % n * _scale), (b / n * _scale, b % n * _scale));
        }
        int m = _scale * _shift + 1;
        var first = (rng.NextInt(m), rng.NextInt(m));
        while (true)
        {
            // A difference that is a multiple of scale on both axes is a whole-LQ-pixel shift: draw again.
            var second = (rng.NextInt(m), rng.NextInt(m));
            if ((second.Item1 - first.Item1) % _scale != 0 || (second.Item2 - first.Item2) % _scale != 0) return (first, second);
        }
    }

    /// <summary>The region all views share, in the coordinates of the crop at <paramref name="offset"/>.</summary>
    internal Region SharedIn((int Top, int Left) offset) => new(_full - _crop - offset.Top, _full - _crop - offset.Left, _shared, _shared);

    /// <summary>Free views at the drawn HQ offsets (multiples of scale): both cut from the full patch, whose LQ is
    /// degraded already.</summary>
    internal (RgbImage Lq, RgbImage Hq, RgbImage Lq2, Region Main, Region Second) CutAt(RgbImage fullLq, RgbImage fullHq,
        (int Top, int Left) o1, (int Top, int Left) o2)
    {
        int lqCrop = _crop / _scale;
        var hq = fullHq.Crop(o1.Top, o1.Left, _crop, _crop);
        var lq1 = fullLq.Crop(o1.Top / _scale, o1.Left / _scale, lqCrop, lqCrop);
        var lq2 = fullLq.Crop(o2.Top / _scale, o2.Left / _scale, lqCrop, lqCrop);
        return (lq1, hq, lq2, SharedIn(o1), SharedIn(o2));
    }

    /// <summary>Cuts one sample's two views from its full patch (<paramref name="fullLq"/>, <paramref name="fullHq"/>,
    /// already augmented). <paramref name="degrade"/> applies the LQ degradations with the draws of the stream it is
    /// given (sub-pixel views only; free views cut the full LQ, which is degraded already).</summary>
    public (RgbImage Lq, RgbImage Hq, RgbImage Lq2, Region Main, Region Second) Cut(RgbImage fullLq, RgbImage fullHq,
        SampleRandom rng, Action<RgbImage, SampleRandom> degrade)
    {
        if (fullHq.Height != _full || fullHq.Width != _full)
            throw new ArgumentException($"full patch {fullHq.Height}x{fullHq.Width}, expected {_full}x{_full}");
        var (o1, o2) = Draw(rng);
        if (_mode == TranslationalViews.Free) return CutAt(fullLq, fullHq, o1, o2);
        var hq = fullHq.Crop(o1.Top, o1.Left, _crop, _crop);
        ulong degradationSeed = rng.NextUInt64();
        RgbImage Lq(RgbImage hqCrop)
        {
            var lq = MatlabResize.Resize(hqCrop, 1.0 / _scale);
            lq.QuantizeTo8Bit();
            degrade(lq, new SampleRandom(degradationSeed));
            return lq;
        }
        return (Lq(hq), hq, Lq(fullHq.Crop(o2.Top, o2.Left, _crop, _crop)), SharedIn(o1), SharedIn(o2));
    }
}
