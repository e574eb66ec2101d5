using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SrTrain.Runtime;

/// <summary>Canonical paths with every link resolved, so that two names for one file (a link or junction to the input
/// folder, a link loop in a data set, another letter case on Windows) are recognised as one.</summary>
internal static partial class RealPath
{
    /// <summary>How canonical paths compare: Windows' file names are case-blind, so there `foo_x4.png` and `Foo_x4.png`
    /// are one file (NTFS and Wine alike); Linux's are not.</summary>
    public static StringComparer Comparer { get; } = OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    /// <inheritdoc cref="Comparer"/>
    public static StringComparison Comparison { get; } = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>Whether two canonical paths name one file (see <see cref="Comparer"/>).</summary>
    public static bool Same(string a, string b) => Comparer.Equals(a, b);

    /// <summary>The canonical path of <paramref name="path"/>: realpath(3) on Linux, GetFinalPathNameByHandle on
    /// Windows (links, junctions and the names' real case). A path that does not exist yet keeps its missing tail below
    /// the deepest existing (resolved) folder.</summary>
    public static string Of(string path)
    {
        var full = Path.GetFullPath(path);
        var tail = new Stack<string>();
        var current = full;
        while (true)
        {
            if (Resolve(current) is string real)
            {
                foreach (var part in tail) real = Path.Combine(real, part);
                return real;
            }
            var parent = Path.GetDirectoryName(current);
            if (parent == null) return full;
            tail.Push(Path.GetFileName(current));
            current = parent;
        }
    }

    static string? Resolve(string path) => OperatingSystem.IsWindows() ? ResolveWindows(path) : ResolveUnix(path);

    static string? ResolveUnix(string path)
    {
        IntPtr p = realpath(path, IntPtr.Zero);
        if (p == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            free(p);
        }
    }

    const uint FileShareAll = 7, OpenExisting = 3, FileFlagBackupSemantics = 0x02000000;

    static unsafe string? ResolveWindows(string path)
    {
        // No access rights asked (0): enough to query the name, and it opens files that others hold exclusively.
        // Backup semantics lets the same call open folders.
        using var handle = CreateFileW(path, 0, FileShareAll, IntPtr.Zero, OpenExisting, FileFlagBackupSemantics, IntPtr.Zero);
        if (handle.IsInvalid) return null;
        var buffer = new char[1024];
        while (true)
        {
            uint n;
            fixed (char* p = buffer) n = GetFinalPathNameByHandleW(handle, p, (uint)buffer.Length, 0);
            if (n == 0) return null;
            if (n < buffer.Length) return WithoutVerbatimPrefix(new string(buffer, 0, (int)n));
            buffer = new char[n + 1];
        }
    }

    /// <summary>GetFinalPathNameByHandle answers `\\?\C:\dir` or `\\?\UNC\server\share\dir`; the rest of .NET (and the
    /// user) writes `C:\dir` and `\\server\share\dir`.</summary>
    internal static string WithoutVerbatimPrefix(string path) =>
        path.StartsWith(@"\\?\UNC\", StringComparison.Ordinal) ? @"\\" + path[8..]
        : path.StartsWith(@"\\?\", StringComparison.Ordinal) ? path[4..]
        : path;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    private static partial void free(IntPtr p);

    [LibraryImport("kernel32.dll", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    private static partial SafeFileHandle CreateFileW(string name, uint access, uint share, IntPtr security, uint disposition, uint flags, IntPtr template);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    private static unsafe partial uint GetFinalPathNameByHandleW(SafeFileHandle handle, char* buffer, uint length, uint flags);
}
