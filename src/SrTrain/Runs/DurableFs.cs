using System.Runtime.InteropServices;

namespace SrTrain.Runs;

/// <summary>fsync for files and directories. A rename is only durable once the directory holding it is fsynced, and
/// .NET has no API for that, so on Linux this calls libc directly.</summary>
internal static partial class DurableFs
{
    private const int O_RDONLY = 0;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    /// <summary>Flushes a file's content and metadata to the device.</summary>
    public static void SyncFile(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            SyncPath(path);
            return;
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Flushes a directory's entries (created, renamed, deleted names) to the device. Only Linux needs and
    /// allows this; elsewhere it does nothing.</summary>
    public static void SyncDirectory(string path)
    {
        if (OperatingSystem.IsLinux())
            SyncPath(path);
    }

    private static void SyncPath(string path)
    {
        // O_RDONLY is enough: Linux fsyncs through a read-only descriptor, for files and directories alike.
        var fd = Open(path, O_RDONLY);
        if (fd < 0)
            throw new IOException($"cannot open {path} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0)
                throw new IOException($"fsync of {path} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> and fsyncs it before returning.</summary>
    public static void WriteAllTextDurably(string path, string text)
    {
        using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false)))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>Replaces <paramref name="path"/> so that a crash leaves either the old or the new content, never a torn
    /// file: a temporary file beside it, fsynced, renamed over it, and the folder fsynced.</summary>
    public static void WriteAllTextAtomically(string path, string text) =>
        WriteAllBytesAtomically(path, new System.Text.UTF8Encoding(false).GetBytes(text));

    /// <inheritdoc cref="WriteAllTextAtomically"/>
    public static void WriteAllBytesAtomically(string path, byte[] bytes)
    {
        var tmp = path + ".tmp-" + Environment.ProcessId;
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }
}
