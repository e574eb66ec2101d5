namespace SrTrain;

// Public: the analyzer tests compile snippets against the library that use it.
/// <summary>
/// Says that the marked method, property or class makes CPU tensors on purpose (image decoding, file I/O, host-side
/// statistics), so analyzer rule SRT003 does not ask its torch factory calls (torch.zeros, torch.tensor, ...) for a
/// <c>device:</c> argument. Everything else must say where its tensors go; see src/SrTrain.Analyzers.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor | AttributeTargets.Property | AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class HostTensorsAttribute(string reason) : Attribute
{
    /// <summary>Why the tensors stay on the host.</summary>
    public string Reason { get; } = reason;
}
