using System.Runtime.InteropServices;

namespace SrTrain.Runtime;

/// <summary>Ends the process at once with _exit(2): no static destructors run. Environment.Exit runs libtorch's
/// destructors while another thread may still be inside a libtorch kernel, which crashes (SIGSEGV) instead of
/// exiting with the intended code.</summary>
public static partial class ImmediateExit
{
    public static void Now(int code)
    {
        if (OperatingSystem.IsWindows()) Environment.Exit(code);
        SysExit(code);
    }

    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void SysExit(int code);
}
