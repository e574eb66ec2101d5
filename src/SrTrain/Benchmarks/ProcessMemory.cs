using System.Diagnostics;
using SrTrain.Runtime;

namespace SrTrain.Benchmarks;

/// <summary>This process's resident memory, from the OS: /proc/self/status on Linux, the working set (the OS's own
/// count, GetProcessMemoryInfo under .NET's Process) on Windows; null elsewhere.</summary>
internal static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM; the peak working set on Windows) in bytes.</summary>
    public static long? PeakResidentBytes() =>
        OperatingSystem.IsWindows() ? FromProcess(p => p.PeakWorkingSet64) : Read("VmHWM:");

    /// <summary>Current resident set size (VmRSS; the working set on Windows) in bytes.</summary>
    public static long? ResidentBytes() =>
        OperatingSystem.IsWindows() ? FromProcess(p => p.WorkingSet64) : Read("VmRSS:");

    /// <summary>A figure from .NET's view of this process (a fresh one, so nothing cached), or null where the OS does not
    /// give it (0).</summary>
    public static long? FromProcess(Func<Process, long> figure)
    {
        using var self = Process.GetCurrentProcess();
        long bytes = figure(self);
        return bytes > 0 ? bytes : null;
    }

    static long? Read(string key)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return null;
        foreach (var line in SharedRead.ReadLines(path))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
            // "VmHWM:	  123456 kB"
            var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        return null;
    }
}
