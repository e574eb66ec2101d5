using System.Globalization;

namespace SrTrain.Config;

/// <summary>The limits that keep hostile or careless input (a downloaded .pth, an image from anywhere, a hand-typed
/// config) from hanging the program or eating the machine. Each can be raised with an environment variable, the way
/// OpenCV's <c>OPENCV_IO_MAX_IMAGE_PIXELS</c> and Pillow's <c>Image.MAX_IMAGE_PIXELS</c> are raised in a BasicSR or
/// Real-ESRGAN setup; training also takes <c>datasets.train.max_image_pixels</c> in the config.</summary>
internal static class InputLimits
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

    // Each variable's range, for the getters (out of range: the default) and for CheckEnvironment (out of range: an error).
    static readonly Limit ImagePixels = new(MaxImagePixelsVariable, DefaultMaxImagePixels, 1, long.MaxValue >> 20);
    static readonly Limit WeightMb = new(MaxWeightMbVariable, DefaultMaxWeightBytes >> 20, 1, long.MaxValue >> 20);
    // At most 1000: YamlDotNet's scanner spends time quadratic in the flow depth it has seen (100,001 levels took
    // 58 s to refuse) and builds nodes recursively (5000 levels overflow a 1 MB stack, Windows' default; 2500 do not),
    // so the walk that refuses a deeper file must stop early enough for both.
    static readonly Limit Nesting = new(MaxNestingVariable, DefaultMaxNesting, 4, MaxAllowedNesting);

    /// <summary>The highest <c>SRTRAIN_MAX_NESTING</c> accepted.</summary>
    public const int MaxAllowedNesting = 1000;

    /// <summary>Decoded pixels per image for training (default of <c>datasets.train.max_image_pixels</c>), validation,
    /// <c>eval</c> and <c>upscale</c>; <c>SRTRAIN_MAX_IMAGE_PIXELS</c> raises it.</summary>
    public static long MaxImagePixels => ImagePixels.Read();

    /// <summary>Bytes of tensors per weight file; <c>SRTRAIN_MAX_WEIGHT_MB</c> (in MiB) raises it.</summary>
    public static long MaxWeightBytes => WeightMb.Read() << 20;

    /// <summary>Container nesting in pickles, safetensors JSON and YAML; <c>SRTRAIN_MAX_NESTING</c> raises it.</summary>
    public static int MaxNesting => (int)Nesting.Read();

    /// <summary>Throws for a limit variable that is set but not a number in range; the CLI calls it at start-up, so
    /// that a typo is reported instead of silently falling back to the default (which the getters do).</summary>
    public static void CheckEnvironment()
    {
        foreach (var limit in new[] { ImagePixels, WeightMb, Nesting })
        {
            var text = Environment.GetEnvironmentVariable(limit.Variable);
            if (!string.IsNullOrWhiteSpace(text) && limit.TryParse(text) is null)
                throw new SrTrainException($"environment variable {limit.Variable}={text} must be a whole number from {limit.Min} to {limit.Max}");
        }
    }

    sealed record Limit(string Variable, long Fallback, long Min, long Max)
    {
        public long Read()
        {
            var text = Environment.GetEnvironmentVariable(Variable);
            return string.IsNullOrWhiteSpace(text) ? Fallback : TryParse(text) ?? Fallback;
        }

        public long? TryParse(string text) =>
            long.TryParse(text.Replace("_", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= Min && v <= Max ? v : null;
    }
}
