using SrTrain.Runtime;
using System.Collections.Concurrent;
using SrTrain.Config;
using SrTrain.Degradation;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Data;

/// <summary>The Real-ESRGAN part of the data pipeline (datasets.train.realesrgan): the draws of a sample and of a
/// step, the crop_pad_size crop of an image (RealESRGANDataset.__getitem__), and the degradation of a group of crops
/// that share a step's batch draws (RealESRGANModel.feed_data). The draws come from <see cref="SampleRandom"/>
/// streams, so everything is a pure function of (seed, step, sample index). The workers degrade on the CPU; the
/// degrader takes a device, so the same design could degrade on the training device instead. Thread-safe.</summary>
internal sealed class RealEsrganPatches : IDisposable
{
    readonly RealEsrganDegradationConfig _config;
    readonly int _scale;
    readonly long _seed;
    readonly RealEsrganSampler _sampler;
    readonly ConcurrentDictionary<int, ConcurrentBag<RealEsrganDegrader>> _degraders = new();

    public RealEsrganPatches(RealEsrganDegradationConfig config, int scale, long seed, bool useHflip = true, bool useRot = true)
    {
        _config = config;
        _scale = scale;
        _seed = seed;
        _sampler = new RealEsrganSampler(config, useHflip, useRot);
    }

    /// <summary>Side of the HQ crop that is degraded (crop_pad_size).</summary>
    public int CropPadSize => _config.CropPadSize;

    /// <summary>The draws of one sample, from its stream (after the image was picked): augmentation, crop position,
    /// kernels, noise and JPEG, the noise types (Gaussian or Poisson) being its step's <paramref name="batch"/> choice.</summary>
    public SampleDraws DrawSample(SampleRandom rng, int imageHeight, int imageWidth, BatchDraws batch) =>
        _sampler.DrawSample(rng, imageHeight, imageWidth, batch);

    /// <summary>The batch draws of <paramref name="step"/>, from its own stream (RealEsrganSampler.BatchStream); the LQ
    /// crop is placed for a full patch of <paramref name="gtPatch"/> HQ pixels.</summary>
    public BatchDraws DrawBatch(long step, int gtPatch)
    {
        int lq = CropPadSize / _scale;
        return _sampler.DrawBatch(RealEsrganSampler.BatchStream(_seed, step), lq, lq, gtPatch / _scale);
    }

    /// <summary>RealESRGANDataset's crop: the image augmented (hflip, vflip, transpose as BasicSR's augment), padded at
    /// the bottom/right by reflect-101 to crop_pad_size when smaller, and cropped to crop_pad_size at the drawn
    /// top/left. When no padding is needed the crop is read from the un-augmented image at the mapped position and
    /// only the crop is augmented, which gives the same pixels without transforming the whole image.</summary>
    public RgbImage Cut(PixelImage image, SampleDraws d)
    {
        int c = CropPadSize, h = image.Height, w = image.Width;
        // Size after augmentation: the transpose swaps the sides.
        int ah = d.Rot90 ? w : h, aw = d.Rot90 ? h : w;
        if (ah >= c && aw >= c)
        {
            if (d.CropTop < 0 || d.CropLeft < 0 || d.CropTop + c > ah || d.CropLeft + c > aw)
                throw new ArgumentOutOfRangeException(nameof(d), $"crop {c} at ({d.CropTop},{d.CropLeft}) outside the augmented {ah}x{aw}");
            // Undo the transpose, then the flips, to find the window of the original image.
            int top = d.Rot90 ? d.CropLeft : d.CropTop, left = d.Rot90 ? d.CropTop : d.CropLeft;
            if (d.VFlip) top = h - top - c;
            if (d.HFlip) left = w - left - c;
            return image.Crop(top, left, c, c).Augment(d.HFlip, d.VFlip, d.Rot90);
        }
        var whole = Augment(image.Crop(0, 0, h, w), d.HFlip, d.VFlip, d.Rot90).ReflectPadTo(c, c);
        return whole.Crop(d.CropTop, d.CropLeft, c, c);
    }

    /// <summary>BasicSR's augment on an image of any shape (flips, then transpose).</summary>
    internal static RgbImage Augment(RgbImage img, bool hflip, bool vflip, bool transpose)
    {
        if (!hflip && !vflip && !transpose) return img;
        int h = img.Height, w = img.Width, oh = transpose ? w : h, ow = transpose ? h : w;
        var r = new RgbImage(oh, ow);
        for (int ch = 0; ch < 3; ch++)
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                {
                    int fy = transpose ? x : y, fx = transpose ? y : x;
                    int sy = vflip ? h - 1 - fy : fy, sx = hflip ? w - 1 - fx : fx;
                    r.Data[(ch * oh + y) * ow + x] = img.Data[(ch * h + sy) * w + sx];
                }
        return r;
    }

    /// <summary>Degrades crops that share one step's <paramref name="batch"/> draws (feed_data), then cuts the
    /// <paramref name="gtPatch"/> HQ patch and its LQ at the batch's LQ crop (paired_random_crop). The crops may be
    /// smaller than crop_pad_size (sub-pixel views) as long as the LQ crop fits. Each crop is degraded alone (a batch
    /// of one): libtorch's batched operations may round differently with the batch size, and a sample's pixels must
    /// not depend on which samples share its call (another number of ranks, the pool's mix of steps).</summary>
    public (RgbImage[] Gt, RgbImage[] Lq) Degrade(IReadOnlyList<RgbImage> crops, BatchDraws batch, IReadOnlyList<SampleDraws> samples,
        int gtPatch, Action<string, Tensor>? onStage = null)
    {
        // A degrader holds tensors (DiffJPEG's tables, USM's kernel): one per concurrent caller, kept for the next; one
        // kind per input size (the degrader checks its input against crop_pad_size).
        int size = crops[0].Height;
        var bag = _degraders.GetOrAdd(size, _ => new ConcurrentBag<RealEsrganDegrader>());
        if (!bag.TryTake(out var degrader)) degrader = NewDegrader(size);
        try
        {
            var gts = new RgbImage[crops.Count];
            var lqs = new RgbImage[crops.Count];
            for (int i = 0; i < crops.Count; i++)
                (gts[i], lqs[i]) = Degrade(degrader, crops[i], batch, samples[i], gtPatch, onStage);
            return (gts, lqs);
        }
        finally
        {
            bag.Add(degrader);
        }
    }

    /// <summary>A degrader made on a thread of its own: dispose scopes are per thread, and one open on the caller's
    /// thread (a batch's, a test's) would otherwise take the degrader's long-lived tensors and free them at its end.</summary>
    RealEsrganDegrader NewDegrader(int cropSize)
    {
        var config = _config with { CropPadSize = cropSize };
        RealEsrganDegrader? made = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { made = new RealEsrganDegrader(config, _scale, torch.CPU); }
            catch (Exception e) { error = e; }
        }) { IsBackground = true, Name = "srtrain-degrader-init" };
        thread.Start();
        thread.Join();
        if (error != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        return made!;
    }

    static (RgbImage Gt, RgbImage Lq) Degrade(RealEsrganDegrader degrader, RgbImage crop, BatchDraws batch,
        SampleDraws sample, int gtPatch, Action<string, Tensor>? onStage)
    {
        using var scope = torch.NewDisposeScope();
        using var gt = torch.tensor(crop.Data, new long[] { 1, 3, crop.Height, crop.Width }, device: torch.CPU);
        var (outGt, outLq) = degrader.Degrade(gt, batch, new[] { sample }, gtPatch, onStage);
        return (RgbImage.FromTensor(outGt), RgbImage.FromTensor(outLq));
    }

    public void Dispose()
    {
        foreach (var bag in _degraders.Values)
            while (bag.TryTake(out var d)) d.Dispose();
    }
}
