using System.Runtime.InteropServices;
using Serilog;
using TorchSharp;

namespace SrTrain.Runtime;

/// <summary>Loads libtorch before anything else touches TorchSharp, so a failure becomes one clear message instead of
/// TorchSharp's type-initializer exception (which blames a missing package even when the cause is libstdc++).</summary>
public static class NativeRuntime
{
    static readonly object Gate = new();
    static bool _initialized;

    /// <summary>Makes sure libLibTorchSharp.so can load, then initialises TorchSharp on the CPU. Safe to call often.</summary>
    public static void EnsureLoaded(ILogger? log = null)
    {
        lock (Gate)
        {
            if (_initialized) return;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
                EnsureLoadableOnThisLibStdCxx(log);
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e)
            {
                throw new SrTrainException(
                    "libtorch could not be loaded (" + FirstLine(e.Message) + "). Run `ldd` on runtimes/linux-x64/native/libLibTorchSharp.so " +
                    "next to the srtrain binary to see which library or version is missing, and rebuild with `dotnet build`.");
            }
            _initialized = true;
        }
    }

    /// <summary>The build marks GLIBCXX_3.4.32 weak in its output copy (build/GlibcxxCompat.targets). A copy that did
    /// not go through that build (a hand-made publish, an outside project) gets the same fix here, on its own copy.</summary>
    static void EnsureLoadableOnThisLibStdCxx(ILogger? log)
    {
        var system = GlibcxxCompat.FindSystemLibStdCxx();
        if (system == null || GlibcxxCompat.LibraryHasVersion(system, GlibcxxCompat.NeededVersion)) return;
        foreach (var lib in CandidateLibTorchSharpPaths())
        {
            if (!File.Exists(lib)) continue;
            try
            {
                var r = GlibcxxCompat.WeakenVersionNeed(lib, GlibcxxCompat.NeededVersion);
                if (r == GlibcxxCompat.PatchResult.Patched)
                    log?.Warning("{System} lacks {Version}: marked that version need weak in {Lib} so that libtorch loads",
                        system, GlibcxxCompat.NeededVersion, lib);
                else
                    log?.Debug("{Lib} already has {Version} marked weak (system libstdc++ lacks it)", lib, GlibcxxCompat.NeededVersion);
            }
            catch (UnauthorizedAccessException)
            {
                log?.Warning("{Lib} needs {Version}, which {System} lacks, and the file is read-only: libtorch may fail to load",
                    lib, GlibcxxCompat.NeededVersion, system);
            }
        }
    }

    static IEnumerable<string> CandidateLibTorchSharpPaths()
    {
        var baseDir = AppContext.BaseDirectory;
        yield return Path.Combine(baseDir, "libLibTorchSharp.so");
        yield return Path.Combine(baseDir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();
}
