using System.Globalization;

namespace SrTrain.Config;

/// <summary>The limits that keep hostile or careless input (a downloaded .pth, an image from anywhere, a hand-typed
/// config) from hanging the program or eating the machine. Each can be raised with an environment variable, the way
/// OpenCV's <c>OPENCV_IO_MAX_IMAGE_PIXELS</c> and Pillow's <c>Image.MAX_IMAGE_PIXELS</c> are raised in a BasicSR or
/// Real-ESRGAN setup; training also takes <c>datasets.train.max_image_pixels</c> in the config.</summary>
public static class InputLimits
{
    public const string MaxImagePixelsVariable = "SRTRAIN_MAX_IMAGE_PIXELS";
    public const string MaxWeightMbVariable = "SRTRAIN_MAX_WEIGHT_MB";
    public const string MaxNestingVariable = "SRTRAIN_MAX_NESTING";

    /// <summary>Default decoded pixels per image (width·height): 100 megapixels, a 10000² photo. Decoding one costs
    /// 1.2 GB as float32 RGB, and its x4 result 16 times that.</summary>
    public const long DefaultMaxImagePixels = 100_000_000;

    /// <summary>Default total bytes of the tensors in one weight file (and of the file itself): 1 GiB. The largest
    /// common SR generators are below 200 MB; torchvision's VGG-16 is 528 MB.</summary>
    public const long DefaultMaxWeightBytes = 1L << 30;

    /// <summary>Default nesting depth of containers in a pickle, JSON header or YAML config. Real files nest a handful of
    /// levels.</summary>
    public const int DefaultMaxNesting = 64;

    /// <summary>Decoded pixels per image for training (default of <c>datasets.train.max_image_pixels</c>), validation,
    /// <c>eval</c> and <c>upscale</c>; <c>SRTRAIN_MAX_IMAGE_PIXELS</c> raises it.</summary>
    public static long MaxImagePixels => Read(MaxImagePixelsVariable, DefaultMaxImagePixels, 1);

    /// <summary>Bytes of tensors per weight file; <c>SRTRAIN_MAX_WEIGHT_MB</c> (in MiB) raises it.</summary>
    public static long MaxWeightBytes => Read(MaxWeightMbVariable, DefaultMaxWeightBytes >> 20, 1) << 20;

    /// <summary>Container nesting in pickles, safetensors JSON and YAML; <c>SRTRAIN_MAX_NESTING</c> raises it.</summary>
    public static int MaxNesting => (int)Read(MaxNestingVariable, DefaultMaxNesting, 4, 100_000);

    /// <summary>Throws for a limit variable that is set but not a number in range; the CLI calls it at start-up, so
    /// that a typo is reported instead of silently falling back to the default (which the getters do).</summary>
    public static void CheckEnvironment()
    {
        foreach (var (variable, min, max) in new[] { (MaxImagePixelsVariable, 1L, long.MaxValue >> 20), (MaxWeightMbVariable, 1L, long.MaxValue >> 20), (MaxNestingVariable, 4L, 100_000L) })
        {
            var text = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrWhiteSpace(text) && TryParse(text, min, max) is null)
                throw new SrTrainException($"environment variable {variable}={text} must be a whole number from {min} to {max}");
        }
    }

    static long Read(string variable, long fallback, long min, long max = long.MaxValue >> 20)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrWhiteSpace(text) ? fallback : TryParse(text, min, max) ?? fallback;
    }

    static long? TryParse(string text, long min, long max) =>
        long.TryParse(text.Replace("_", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max ? v : null;
}
