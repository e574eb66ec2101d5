using SrTrain.Config;
using SrTrain.Runtime;
using static TorchSharp.torch;

namespace SrTrain.Degradation;

/// <summary>Real-ESRGAN's high-order degradation of a GT batch (realesrgan/models/realesrgan_model.py feed_data),
/// fed with the draws instead of calling the random generators itself:
/// <list type="number">
/// <item>gt_usm = USMSharp(gt); blur with kernel1; resize by the first factor; Gaussian or Poisson noise; clamp;
/// DiffJPEG(jpeg1);</item>
/// <item>blur with kernel2 when <see cref="BatchDraws.SecondBlur"/>; resize to int(ori/scale·s2); noise;</item>
/// <item>[resize to ori/scale with the final mode + sinc filter] and [clamp + DiffJPEG(jpeg2)] in the drawn order;</item>
/// <item>lq = clamp(round(out·255), 0, 255)/255, then paired_random_crop of gt and lq at the drawn LQ top/left.</item>
/// </list>
/// The stages are reported under fixed names (<see cref="StageNames"/>); the training-pair pool is not part of this.</summary>
internal sealed class RealEsrganDegrader : IDisposable
{
    /// <summary>The names <see cref="Degrade"/> reports stages under, in the order of the first degradation; "blur2" only
    /// when the second blur runs, and "resize_back", "sinc" and "jpeg2" in the drawn order.</summary>
    public static readonly IReadOnlyList<string> StageNames =
    [
        "usm", "blur1", "resize1", "noise1", "jpeg1", "blur2", "resize2", "noise2", "resize_back", "sinc", "jpeg2",
        "lq_full", "gt", "lq",
    ];

    readonly RealEsrganDegradationConfig config;
    readonly int scale;
    readonly UsmSharp usm;
    readonly DiffJpeg jpeger;

    public RealEsrganDegrader(RealEsrganDegradationConfig config, int scale, Device device)
    {
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be at least 1");
        this.config = config;
        this.scale = scale;
        usm = new UsmSharp(device);
        try
        {
            jpeger = new DiffJpeg(device);
        }
        catch
        {
            usm.Dispose();
            throw;
        }
    }

    /// <summary>Degrades <paramref name="gt"/> (B,3,H,W) float32 in [0,1], already augmented and cropped or padded to
    /// crop_pad_size, with one batch's draws and one <see cref="SampleDraws"/> per image, and cuts the
    /// <paramref name="gtPatch"/> GT patch and its LQ patch (gtPatch/scale) at the drawn LQ top/left.
    /// <paramref name="onStage"/> sees every stage's output (B,3,h,w) under its name; the tensor is disposed when
    /// Degrade returns, so copy what you keep. Returns tensors on gt's device.</summary>
    public (Tensor Gt, Tensor Lq) Degrade(Tensor gt, BatchDraws batch, IReadOnlyList<SampleDraws> samples, int gtPatch,
        Action<string, Tensor>? onStage = null)
    {
        Check(gt, batch, samples, gtPatch);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var device = gt.device;
        long oriH = gt.shape[2], oriW = gt.shape[3];
        var report = onStage ?? ((_, _) => { });

        // the first degradation
        var gtUsm = usm.Apply(gt);
        report("usm", gtUsm);
        var out_ = DegradationOps.Filter2D(gtUsm, Kernels(samples, s => s.Kernel1, device));
        report("blur1", out_);
        out_ = DegradationOps.ResizeByFactor(out_, batch.Resize1.Scale, batch.Resize1.Mode);
        report("resize1", out_);
        out_ = DegradationNoise.Add(out_, batch.Gaussian1, samples.Select(s => s.Noise1).ToArray());
        report("noise1", out_);
        out_ = Jpeg(out_, samples.Select(s => s.Jpeg1), device);
        report("jpeg1", out_);

        // the second degradation
        if (batch.SecondBlur)
        {
            out_ = DegradationOps.Filter2D(out_, Kernels(samples, s => s.Kernel2, device));
            report("blur2", out_);
        }
        out_ = DegradationOps.ResizeTo(out_, (int)(oriH / (double)scale * batch.Resize2.Scale),
            (int)(oriW / (double)scale * batch.Resize2.Scale), batch.Resize2.Mode);
        report("resize2", out_);
        out_ = DegradationNoise.Add(out_, batch.Gaussian2, samples.Select(s => s.Noise2).ToArray());
        report("noise2", out_);

        // [resize back + the final sinc filter] and JPEG, in the drawn order
        if (batch.ResizeBackFirst)
        {
            out_ = ResizeBackAndSinc(out_, batch, samples, oriH, oriW, report);
            out_ = Jpeg(out_, samples.Select(s => s.Jpeg2), device);
            report("jpeg2", out_);
        }
        else
        {
            out_ = Jpeg(out_, samples.Select(s => s.Jpeg2), device);
            report("jpeg2", out_);
            out_ = ResizeBackAndSinc(out_, batch, samples, oriH, oriW, report);
        }

        // clamp and round
        var lqFull = out_.mul(Scalars.Byte).round_().clamp_(Scalars.Zero, Scalars.Byte).div_(Scalars.Byte);
        report("lq_full", lqFull);

        // paired_random_crop
        long lqPatch = gtPatch / scale;
        long top = batch.LqCropTop, left = batch.LqCropLeft;
        var lq = lqFull[.., .., TensorIndex.Slice(top, top + lqPatch), TensorIndex.Slice(left, left + lqPatch)]
            .contiguous();
        var gtCrop = gt[.., .., TensorIndex.Slice(top * scale, top * scale + gtPatch),
            TensorIndex.Slice(left * scale, left * scale + gtPatch)].contiguous();
        report("gt", gtCrop);
        report("lq", lq);
        return (gtCrop.MoveToOuterDisposeScope(), lq.MoveToOuterDisposeScope());
    }

    Tensor ResizeBackAndSinc(Tensor img, BatchDraws batch, IReadOnlyList<SampleDraws> samples, long oriH, long oriW,
        Action<string, Tensor> report)
    {
        var resized = DegradationOps.ResizeTo(img, (int)(oriH / scale), (int)(oriW / scale), batch.FinalMode);
        report("resize_back", resized);
        var filtered = DegradationOps.Filter2D(resized, Kernels(samples, s => s.FinalSinc, img.device));
        report("sinc", filtered);
        return filtered;
    }

    /// <summary>clamp(0, 1) and DiffJPEG with one quality per image (feed_data's jpeg_p, float32).</summary>
    Tensor Jpeg(Tensor img, IEnumerable<double> qualities, Device device)
    {
        var clamped = img.clamp(Scalars.Zero, Scalars.One);
        var quality = tensor(qualities.Select(q => (float)q).ToArray(), ScalarType.Float32, device);
        return jpeger.Apply(clamped, quality);
    }

    /// <summary>The (B,21,21) float32 kernels of the batch, as RealESRGANDataset hands them to feed_data; Pulse is the
    /// 21×21 pulse tensor (one 1 in the centre).</summary>
    static Tensor Kernels(IReadOnlyList<SampleDraws> samples, Func<SampleDraws, KernelDraw> pick, Device device)
    {
        const int k = BlurKernels.PaddedSize;
        var data = new float[samples.Count * k * k];
        for (int i = 0; i < samples.Count; i++)
        {
            var draw = pick(samples[i]);
            var kernel = draw.Type == KernelType.Pulse ? Pulse() : BlurKernels.Make(draw);
            if (kernel.Length != k * k)
                throw new InvalidOperationException($"a {draw.Type} kernel of {kernel.Length} values, not {k}×{k}");
            kernel.CopyTo(data, i * k * k);
        }
        return tensor(data, new long[] { samples.Count, k, k }, ScalarType.Float32, device);
    }

    static float[] Pulse()
    {
        const int k = BlurKernels.PaddedSize;
        var pulse = new float[k * k];
        pulse[(k / 2) * k + k / 2] = 1;
        return pulse;
    }

    void Check(Tensor gt, BatchDraws batch, IReadOnlyList<SampleDraws> samples, int gtPatch)
    {
        if (gt.dim() != 4 || gt.shape[1] != 3)
            throw new ArgumentException($"gt must be (B,3,H,W), got ({string.Join(",", gt.shape)})", nameof(gt));
        if (gt.dtype != ScalarType.Float32) throw new ArgumentException($"gt must be float32, got {gt.dtype}", nameof(gt));
        if (samples.Count != gt.shape[0])
            throw new ArgumentException($"{samples.Count} sample draws for a batch of {gt.shape[0]}", nameof(samples));
        long h = gt.shape[2], w = gt.shape[3];
        if (h != config.CropPadSize || w != config.CropPadSize)
            throw new ArgumentException($"gt is {h}×{w}; the degradation expects crop_pad_size {config.CropPadSize}",
                nameof(gt));
        if (gtPatch <= 0 || gtPatch % scale != 0)
            throw new ArgumentOutOfRangeException(nameof(gtPatch), gtPatch, $"the GT patch must be a positive multiple of the scale {scale}");
        long lqH = h / scale, lqW = w / scale, lqPatch = gtPatch / scale;
        if (h != lqH * scale || w != lqW * scale)
            throw new ArgumentException($"crop_pad_size {h} is not a multiple of the scale {scale}", nameof(gt));
        if (lqPatch > lqH || lqPatch > lqW)
            throw new ArgumentOutOfRangeException(nameof(gtPatch), gtPatch, $"the GT patch is larger than the {h}×{w} crop");
        if (batch.LqCropTop < 0 || batch.LqCropTop > lqH - lqPatch || batch.LqCropLeft < 0 || batch.LqCropLeft > lqW - lqPatch)
            throw new ArgumentOutOfRangeException(nameof(batch),
                $"LQ crop at ({batch.LqCropTop},{batch.LqCropLeft}) does not fit a {lqPatch} patch in {lqH}×{lqW}");
    }

    public void Dispose()
    {
        usm.Dispose();
        jpeger.Dispose();
    }
}
