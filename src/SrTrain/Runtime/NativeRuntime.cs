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
            PreloadExternalLibTorch(log);
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e)
            {
                throw new SrTrainException(
                    "libtorch could not be loaded (" + SrTrainException.FirstLine(e) + "). Run `ldd` on runtimes/linux-x64/native/libLibTorchSharp.so " +
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

    /// <summary>The folder given by SRTRAIN_LIBTORCH (an installed PyTorch's <c>torch/lib</c>, or a libtorch's
    /// <c>lib</c>): its libraries are loaded by full path before TorchSharp looks for them by name, and the dynamic
    /// loader then hands TorchSharp those. Without the variable, libtorch comes from the build's output folder
    /// (TorchSharp-cpu / -cuda packages) or, for <c>-p:TorchBackend=external</c> builds, from LD_LIBRARY_PATH.</summary>
    static void PreloadExternalLibTorch(ILogger? log)
    {
        var dir = Environment.GetEnvironmentVariable("SRTRAIN_LIBTORCH");
        if (string.IsNullOrWhiteSpace(dir)) return;
        if (!File.Exists(Path.Combine(dir, "libtorch_cpu.so")))
            throw new SrTrainException($"SRTRAIN_LIBTORCH={dir}: no libtorch_cpu.so there; point it at torch/lib of an installed PyTorch " +
                                       "(python3 -c \"import torch, os; print(os.path.dirname(torch.__file__))\")/lib");
        // Order matters: each library's dependencies must already be loaded or findable through its RUNPATH.
        foreach (var name in new[] { "libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so" })
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path) && !NativeLibrary.TryLoad(path, out _))
                log?.Warning("SRTRAIN_LIBTORCH: {Path} did not load", path);
        }
    }

    /// <summary>Where the loaded libtorch_cpu.so lives and which PyTorch/libtorch version it is (from the
    /// <c>version.py</c> of a PyTorch install or the <c>build-version</c> of a libtorch archive next to it; the NuGet
    /// packages' libtorch is 2.10.0). Call after <see cref="EnsureLoaded"/>.</summary>
    public static (string? Path, string? Version) LibTorch()
    {
        string? lib = null;
        try
        {
            lib = SharedRead.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length >= 6 && f[5].EndsWith("/libtorch_cpu.so", StringComparison.Ordinal)).Select(f => f[5]).FirstOrDefault();
        }
        catch (IOException) { }
        if (lib is null) return (null, null);
        var libDir = Path.GetDirectoryName(lib)!;
        var parent = Path.GetDirectoryName(libDir) ?? libDir;
        var versionPy = Path.Combine(parent, "version.py");
        if (File.Exists(versionPy))
        {
            var line = SharedRead.ReadLines(versionPy).FirstOrDefault(l => l.StartsWith("__version__", StringComparison.Ordinal));
            if (line != null) return (lib, line.Split('=', 2)[1].Trim().Trim('\'', '"'));
        }
        var buildVersion = Path.Combine(parent, "build-version");
        if (File.Exists(buildVersion)) return (lib, SharedRead.ReadAllText(buildVersion).Trim());
        return (lib, lib.Contains("libtorch-cpu", StringComparison.Ordinal) || libDir == AppContext.BaseDirectory.TrimEnd('/') ? "2.10.0 (NuGet)" : null);
    }

    /// <summary>The libtorch version TorchSharp 0.107 was built against.</summary>
    public const string ExpectedLibTorch = "2.10";

    /// <summary>Logs which libtorch was loaded, and warns when it is not the version TorchSharp was built for.</summary>
    public static void DescribeLibTorch(ILogger log)
    {
        var (path, version) = LibTorch();
        if (version is not null && !version.StartsWith(ExpectedLibTorch, StringComparison.Ordinal))
            log.Warning("libtorch {Version} from {Path}: TorchSharp 0.107 was built against libtorch {Expected}; most of it works on " +
                        "nearby versions, but a mismatch can fail with missing symbols or behave differently", version, path, ExpectedLibTorch);
        else
            log.Information("libtorch {Version} from {Path}", version ?? "(version unknown)", path ?? "(not found)");
    }

    static IEnumerable<string> CandidateLibTorchSharpPaths()
    {
        var baseDir = AppContext.BaseDirectory;
        yield return Path.Combine(baseDir, "libLibTorchSharp.so");
        yield return Path.Combine(baseDir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

}
