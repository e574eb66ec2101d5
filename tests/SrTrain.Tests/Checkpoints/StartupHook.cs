using SrTrain.Tests.Checkpoints;

/// <summary>.NET startup hook (DOTNET_STARTUP_HOOKS): the runtime looks for exactly this name, in the global namespace.
/// It turns <c>dotnet exec SrTrain.Tests.dll</c> into the kill -9 test's checkpoint-writing child; without the
/// child's environment variable it returns at once and the process runs as before.</summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        var dir = Environment.GetEnvironmentVariable(CheckpointKillChild.DirVariable);
        if (string.IsNullOrEmpty(dir))
            return;
        CheckpointKillChild.Run(dir);
        Environment.Exit(0);
    }
}
