namespace SrTrain.Interop;

/// <summary>A Python global named in a pickle (module + name). Only allow-listed ones are ever produced.</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public override string ToString() => Module + "." + Name;
}
