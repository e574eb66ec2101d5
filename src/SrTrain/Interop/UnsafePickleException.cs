namespace SrTrain.Interop;

/// <summary>A pickle named a global outside the allow list; unpickling it in Python would import and run that code.</summary>
internal sealed class UnsafePickleException(string global) : Exception(global)
{
    public string Global { get; } = global;
}
