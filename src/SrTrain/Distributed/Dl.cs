using System.Runtime.InteropServices;

namespace SrTrain.Distributed;

/// <summary>dlopen with explicit flags (glibc), for libraries whose plugins need their symbols global. Linux only:
/// Windows has no libc.so.6 (MpiLibrary loads msmpi.dll with NativeLibrary there).</summary>
static partial class Dl
{
    public const int RtldNow = 2, RtldGlobal = 0x100;

    [LibraryImport("libc.so.6", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint Open(string file, int mode);

    [LibraryImport("libc.so.6", EntryPoint = "dlerror")]
    private static partial nint Error();

    public static string? LastError()
    {
        var p = Error();
        return p == 0 ? null : Marshal.PtrToStringUTF8(p);
    }
}
