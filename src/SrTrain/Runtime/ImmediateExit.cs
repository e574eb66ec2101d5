using System.Runtime.InteropServices;

namespace SrTrain.Runtime;

/// <summary>Ends the process at once, running no static destructors: _exit(2) on Linux, TerminateProcess on the
/// process itself on Windows. Environment.Exit runs libtorch's destructors while another thread may still be inside a
/// libtorch kernel, which crashes (SIGSEGV, an access violation) instead of exiting with the intended code. Callers
/// flush their logs first.</summary>
internal static partial class ImmediateExit
{
    public static void Now(int code)
    {
        if (OperatingSystem.IsWindows())
        {
            TerminateProcess(GetCurrentProcess(), (uint)code);
            Environment.Exit(code); // not reached: TerminateProcess on this process returns only if it failed
        }
        SysExit(code);
    }

    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void SysExit(int code);

    [LibraryImport("kernel32.dll")]
    private static partial nint GetCurrentProcess();

    [LibraryImport("kernel32.dll")]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool TerminateProcess(nint process, uint exitCode);
}
