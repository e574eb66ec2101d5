using System.Runtime.InteropServices;

namespace SrTrain.Runtime;

/// <summary>Opens only regular files. Opening a FIFO for reading blocks until a writer appears (forever, and SIGTERM
/// does not interrupt the open), and a device such as /dev/urandom never ends; a data folder, an input, a config or a
/// run file can be either. On Unix the file type is read with stat(2) before opening; on Windows named pipes and
/// devices live outside the file system's names, so there is nothing to check.</summary>
internal static partial class RegularFile
{
    /// <summary>Null when <paramref name="path"/> (links followed) is a regular file, missing, or of unknown type;
    /// else what it is ("a FIFO (named pipe)", "a character device", …).</summary>
    public static string? NotRegular(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        int mode;
        try
        {
            var status = new byte[StatusBytes];
            if (Stat(path, status) != 0) return null; // missing or unreadable: the open says which, without hanging
            mode = BitConverter.ToInt32(status, 4);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        return (mode & TypeMask) switch
        {
            Fifo => "a FIFO (named pipe)",
            CharDevice => "a character device",
            BlockDevice => "a block device",
            Socket => "a socket",
            Directory => "a folder",
            _ => null,
        };
    }

    /// <summary>Refuses, naming the file, anything but a regular file (a missing file is left to the open).</summary>
    public static void Require(string path)
    {
        if (NotRegular(path) is { } what)
            throw new SrTrainException($"{path}: is {what}, not a regular file; only regular files are read");
    }

    /// <summary>Opens a regular file for reading (<see cref="Require"/> first), sharing read, write and delete with
    /// other handles: on Windows a writer may hold it open (metrics.jsonl, checkpoints/latest during a save), and a
    /// narrower share would refuse the read. Linux ignores sharing modes.</summary>
    public static FileStream OpenRead(string path)
    {
        Require(path);
        return SharedRead.Open(path);
    }

    /// <summary>The text of a small regular file (UTF-8, a byte-order mark dropped), reading at most
    /// <paramref name="maxBytes"/> + 1 bytes whatever the file claims.</summary>
    /// <exception cref="SrTrainException">Not a regular file, or larger than <paramref name="maxBytes"/>.</exception>
    /// <exception cref="IOException">Reading failed (the caller says what the file was for).</exception>
    public static string ReadAllText(string path, int maxBytes)
    {
        using var f = OpenRead(path);
        var buffer = new byte[maxBytes + 1];
        int n = f.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (n > maxBytes)
            throw new SrTrainException($"{path}: larger than {maxBytes} bytes, far more than this file ever holds; it is not one SrTrain wrote");
        var text = new System.Text.UTF8Encoding(false).GetString(buffer, 0, n);
        return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
    }

    // .NET's own stat (System.Native, shipped with every .NET runtime on Unix): its FileStatus starts with
    // int32 Flags, int32 Mode, and Mode's type bits are the portable S_IF* values below on Linux and macOS alike.
    // libc's stat() would need the struct layout of each platform.
    const int StatusBytes = 256;
    const int TypeMask = 0xF000, Fifo = 0x1000, CharDevice = 0x2000, Directory = 0x4000, BlockDevice = 0x6000, Socket = 0xC000;

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, [Out] byte[] status);
}
