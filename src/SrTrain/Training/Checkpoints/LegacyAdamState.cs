using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SrTrain.Training.Checkpoints;

/// <summary>Reads the optimizer files that checkpoints held before SrTrain had its own Adam (TorchSharp's
/// <c>save_state_dict</c> format, which starts with the optimizer's type name), into <see cref="FlatAdam.StateDict"/>'s
/// form, so those checkpoints still resume. TorchSharp's file lists the state per parameter in the order the optimizer
/// was given them, which was the module's named_parameters() order, the same order <see cref="FlatParameters"/> uses.</summary>
public static class LegacyAdamState
{
    /// <summary>Whether the file starts with TorchSharp's optimizer header ("Adam" as a .NET string).</summary>
    public static bool IsLegacy(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        try
        {
            return stream.Length > 5 && reader.ReadString() == "Adam";
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }

    public static Dictionary<string, Tensor> Read(string path, FlatParameters parameters)
    {
        var named = parameters.Parameters.ToArray();
        var twins = named.Select(p => new Parameter(zeros(p.Param.shape, dtype: p.Param.dtype, device: CPU))).ToArray();
        using var adam = optim.Adam(twins);
        adam.load_state_dict(path);
        var states = adam.state_dict().State;
        if (states.Count != named.Length)
            throw new InvalidDataException($"{Path.GetFileName(path)}: state for {states.Count} parameters, the network has {named.Length}");
        var sd = new Dictionary<string, Tensor>();
        long step = 0;
        for (int i = 0; i < named.Length; i++)
        {
            var s = (Adam.State)states[i];
            step = Math.Max(step, s.step);
            sd["exp_avg." + named[i].Name] = s.exp_avg.clone();
            sd["exp_avg_sq." + named[i].Name] = s.exp_avg_sq.clone();
        }
        sd["step"] = tensor(step, device: CPU);
        foreach (var t in twins) t.Dispose();
        return sd;
    }
}
