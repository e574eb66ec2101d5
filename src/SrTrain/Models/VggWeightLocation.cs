using SrTrain.Config;

namespace SrTrain.Models;

/// <summary>Where the ImageNet-pretrained VGG weights for the perceptual loss are: the configured path.vgg16 /
/// path.vgg19, or else torchvision's own download cache (where <c>torchvision.models.vgg19(pretrained=True)</c> and
/// BasicSR's VGGFeatureExtractor put the file): <c>torch.hub.get_dir()/checkpoints</c>, i.e. $TORCH_HOME/hub/checkpoints,
/// else $XDG_CACHE_HOME/torch/hub/checkpoints, else ~/.cache/torch/hub/checkpoints.</summary>
internal static class VggWeightLocation
{
    /// <summary>torchvision's file name: vgg16-397923af.pth or vgg19-dcbb9e9d.pth.</summary>
    public static string FileName(string vggType) => vggType switch
    {
        "vgg16" => "vgg16-397923af.pth",
        "vgg19" => "vgg19-dcbb9e9d.pth",
        _ => throw new ArgumentException($"unknown VGG type {vggType}", nameof(vggType)),
    };

    /// <summary>The config key that names the file: path.vgg16 or path.vgg19.</summary>
    public static string ConfigKey(string vggType) => $"path.{vggType}";

    /// <summary>torchvision's download address of the file.</summary>
    public static string Url(string vggType) => $"https://download.pytorch.org/models/{FileName(vggType)}";

    /// <summary>torch.hub's checkpoint folder, as torch.hub.get_dir() finds it (the environment variable that is set
    /// wins, whether or not the file is there).</summary>
    public static string CacheFolder()
    {
        var torchHome = Environment.GetEnvironmentVariable("TORCH_HOME");
        if (string.IsNullOrEmpty(torchHome))
        {
            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(cache))
                cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            torchHome = Path.Combine(cache, "torch");
        }
        return Path.Combine(torchHome, "hub", "checkpoints");
    }

    /// <summary>The cache file looked for when the config names none.</summary>
    public static string CacheFile(string vggType) => Path.Combine(CacheFolder(), FileName(vggType));

    /// <summary>The weight file to load: <paramref name="configured"/> when given (it must exist), else the cache file.
    /// Throws <see cref="SrTrainException"/> with one line naming the key and the file looked for when it is missing.</summary>
    /// <param name="why">What needs the weights, for the message (e.g. "losses.perceptual").</param>
    public static string Resolve(string configured, string vggType, string why)
    {
        var key = ConfigKey(vggType);
        var name = FileName(vggType);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (!File.Exists(configured))
                throw new SrTrainException($"{key}: {configured} not found (download torchvision's {name} from {Url(vggType)} and point {key} at it)");
            return configured;
        }
        var cached = CacheFile(vggType);
        if (File.Exists(cached)) return cached;
        throw new SrTrainException(
            $"{why} needs ImageNet-pretrained {VggLayerNames.DisplayName(vggType)} weights, but {key} is empty and torchvision's cache has no {cached}: " +
            $"download {Url(vggType)} and set {key} to it (or put it in {CacheFolder()}); or set losses.perceptual.weight and style_weight to 0");
    }
}
