using System.Diagnostics;
using System.Runtime.InteropServices;
using Serilog;
using TorchSharp;

namespace SrTrain.Runtime;

/// <summary>Loads libtorch before anything else touches TorchSharp, so a failure becomes one clear message instead of
/// TorchSharp's type-initializer exception (which blames a missing package even when the cause is libstdc++).</summary>
internal static partial class NativeRuntime
{
    static readonly object Gate = new();
    static bool _initialized;

    /// <summary>Intel's OpenMP runtime on Windows (libiomp5md.dll, loaded with torch_cpu.dll) carries the Fortran run-time
    /// library's console handler, which ends the process on Ctrl+C or a closed console window ("forrtl: error (200):
    /// program aborting due to control-C event") before .NET's handler can ask training to save. The runtime reads
    /// FOR_DISABLE_CONSOLE_CTRL_HANDLER when it loads, through either the Win32 environment or the C runtime's copy, so
    /// both get it (unless the user set it).</summary>
    static void KeepCtrlCForSrTrain()
    {
        const string name = "FOR_DISABLE_CONSOLE_CTRL_HANDLER";
        if (Environment.GetEnvironmentVariable(name) is not null) return;
        Environment.SetEnvironmentVariable(name, "1");
        try { CrtPutEnv(name, "1"); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    [LibraryImport("api-ms-win-crt-environment-l1-1-0.dll", EntryPoint = "_wputenv_s", StringMarshalling = StringMarshalling.Utf16)]
    private static partial int CrtPutEnv(string name, string value);

    /// <summary>The Visual C++ runtime that torch_cpu.dll and LibTorchSharp.dll import; Windows does not always have it.</summary>
    public static readonly string[] VcRuntimeDlls = { "MSVCP140.dll", "VCRUNTIME140.dll", "VCRUNTIME140_1.dll" };

    /// <summary>The one-line error when libtorch does not load: on Windows, the missing Visual C++ runtime DLLs
    /// (<paramref name="missingVcRuntime"/>) are the usual cause; on Linux, ldd shows the missing library.</summary>
    public static string LoadFailure(bool windows, string error, IReadOnlyCollection<string> missingVcRuntime)
    {
        if (!windows)
            return "libtorch could not be loaded (" + error + "). Run `ldd` on runtimes/linux-x64/native/libLibTorchSharp.so " +
                   "next to the srtrain binary to see which library or version is missing, and rebuild with `dotnet build`.";
        if (missingVcRuntime.Count > 0)
            return "libtorch could not be loaded (" + error + "): " + string.Join(", ", missingVcRuntime) + (missingVcRuntime.Count == 1 ? " is" : " are") +
                   " missing; install the Microsoft Visual C++ 2015–2022 Redistributable (x64) from https://aka.ms/vs/17/release/vc_redist.x64.exe";
        return "libtorch could not be loaded (" + error + "); the Visual C++ runtime is present, so a libtorch DLL is missing or does not match: " +
               "torch_cpu.dll and LibTorchSharp.dll must be next to srtrain.exe (rebuild or publish with `dotnet publish -r win-x64`), " +
               "or SRTRAIN_LIBTORCH must name a PyTorch's torch\\lib folder.";
    }

    /// <summary>Makes sure libLibTorchSharp.so can load, then initialises TorchSharp on the CPU. Safe to call often.</summary>
    public static void EnsureLoaded(ILogger? log = null)
    {
        lock (Gate)
        {
            if (_initialized) return;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
                EnsureLoadableOnThisLibStdCxx(log);
            if (OperatingSystem.IsWindows())
                KeepCtrlCForSrTrain();
            PreloadExternalLibTorch(log);
            try
            {
                // On Windows, LibTorchSharp.dll (and through it torch_cpu.dll) is loaded here first: when that fails,
                // TorchSharp would print a page of probing trace before its exception.
                if (OperatingSystem.IsWindows() && CandidateLibTorchSharpPaths("LibTorchSharp.dll").FirstOrDefault(File.Exists) is { } own)
                    NativeLibrary.Load(own);
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e)
            {
                bool windows = OperatingSystem.IsWindows();
                var missing = windows ? VcRuntimeDlls.Where(d => !NativeLibrary.TryLoad(d, out _)).ToList() : new List<string>();
                throw new SrTrainException(LoadFailure(windows, SrTrainException.FirstLine(e), missing));
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

    /// <summary>The libtorch libraries of a <c>torch/lib</c> folder in dependency order (each one's dependencies load
    /// before it); the second is libtorch_cpu, the one that must be there.</summary>
    public static IReadOnlyList<string> LibTorchFiles(bool windows) => windows
        ? new[] { "c10.dll", "torch_cpu.dll", "c10_cuda.dll", "torch_cuda.dll", "torch.dll" }
        : new[] { "libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so" };

    /// <summary>The folder given by SRTRAIN_LIBTORCH (an installed PyTorch's <c>torch/lib</c>, <c>torch\lib</c> on
    /// Windows, or a libtorch's <c>lib</c>): its libraries are loaded by full path before TorchSharp looks for them by
    /// name, and the loader then hands TorchSharp those. Without the variable, libtorch comes from the build's output
    /// folder (TorchSharp-cpu / -cuda packages) or, for <c>-p:TorchBackend=external</c> builds, from LD_LIBRARY_PATH.</summary>
    static void PreloadExternalLibTorch(ILogger? log)
    {
        var dir = Environment.GetEnvironmentVariable("SRTRAIN_LIBTORCH");
        if (string.IsNullOrWhiteSpace(dir)) return;
        bool windows = OperatingSystem.IsWindows();
        var files = LibTorchFiles(windows);
        if (!File.Exists(Path.Combine(dir, files[1])))
            throw new SrTrainException($"SRTRAIN_LIBTORCH={dir}: no {files[1]} there; point it at {(windows ? "torch\\lib" : "torch/lib")} of an installed PyTorch " +
                                       "(python3 -c \"import torch, os; print(os.path.dirname(torch.__file__))\")" + (windows ? "\\lib" : "/lib"));
        // Windows finds a DLL's own imports next to it when it is loaded by full path, but not the DLLs that cuDNN and
        // cuBLAS load by name later (PyTorch's __init__ adds the folder to the search path for the same reason).
        if (windows)
            Environment.SetEnvironmentVariable("PATH", dir + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"));
        foreach (var name in files)
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path) && !NativeLibrary.TryLoad(path, out _))
                log?.Warning("SRTRAIN_LIBTORCH: {Path} did not load", path);
        }
    }

    /// <summary>Where the loaded libtorch_cpu (libtorch_cpu.so, torch_cpu.dll) lives and which PyTorch/libtorch
    /// version it is (from the <c>version.py</c> of a PyTorch install or the <c>build-version</c> of a libtorch archive
    /// next to it; the NuGet packages' libtorch, in the build's output folder, is 2.10.0). Found among the process's
    /// loaded modules, which .NET reads from the OS on Windows and Linux alike. Call after <see cref="EnsureLoaded"/>.</summary>
    public static (string? Path, string? Version) LibTorch()
    {
        bool windows = OperatingSystem.IsWindows();
        var lib = LoadedModule(LibTorchFiles(windows)[1], windows);
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
        return (lib, lib.Contains("libtorch-cpu", StringComparison.OrdinalIgnoreCase) || IsBuildOutput(libDir, windows) ? "2.10.0 (NuGet)" : null);
    }

    /// <summary>The output folder itself (a publish) or its <c>runtimes/&lt;rid&gt;/native</c> (a build).</summary>
    static bool IsBuildOutput(string libDir, bool windows)
    {
        var compare = windows ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var baseDir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(AppContext.BaseDirectory));
        var dir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(libDir));
        if (string.Equals(dir, baseDir, compare)) return true;
        var runtimes = Path.GetDirectoryName(Path.GetDirectoryName(dir));
        return Path.GetFileName(dir) == "native" && runtimes != null && string.Equals(runtimes, Path.Combine(baseDir, "runtimes"), compare);
    }

    /// <summary>The full path of the loaded module named <paramref name="fileName"/>, or null.</summary>
    static string? LoadedModule(string fileName, bool windows)
    {
        try
        {
            using var self = Process.GetCurrentProcess();
            foreach (ProcessModule module in self.Modules)
            {
                using (module)
                {
                    if (string.Equals(Path.GetFileName(module.FileName), fileName, windows ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
                        return module.FileName;
                }
            }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or NotSupportedException) { }
        return null;
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

    /// <summary>Where the build puts TorchSharp's native library: next to the program (a publish) or under runtimes.</summary>
    static IEnumerable<string> CandidateLibTorchSharpPaths(string fileName = "libLibTorchSharp.so")
    {
        var baseDir = AppContext.BaseDirectory;
        yield return Path.Combine(baseDir, fileName);
        yield return Path.Combine(baseDir, "runtimes", OperatingSystem.IsWindows() ? "win-x64" : "linux-x64", "native", fileName);
    }

}
