using System.Runtime.InteropServices;

namespace SrTrain.Runtime;

/// <summary>Canonical paths with every symbolic link resolved, so that two names for one file (a link to the input
/// folder, a link loop in a data set) are recognised as one.</summary>
public static partial class RealPath
{
    /// <summary>The canonical path of <paramref name="path"/>. A path that does not exist yet keeps its missing tail
    /// below the deepest existing (resolved) folder. Where realpath(3) is unavailable, the full path.</summary>
    public static string Of(string path)
    {
        var full = Path.GetFullPath(path);
        if (OperatingSystem.IsWindows()) return full;
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

    static string? Resolve(string path)
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

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    private static partial void free(IntPtr p);
}
