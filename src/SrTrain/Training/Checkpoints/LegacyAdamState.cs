using SrTrain.Runtime;
using static TorchSharp.torch;

namespace SrTrain.Training.Checkpoints;

/// <summary>Reads the optimizer files that checkpoints held before SrTrain had its own Adam (TorchSharp 0.107's
/// <c>Adam.save_state_dict</c> format), into <see cref="FlatAdam.StateDict"/>'s form, so those checkpoints still
/// resume. The format: the type name "Adam" (.NET string), LEB128 counts of option groups and of states, each group's
/// options (initial and current lr, β1, β2, eps, weight decay as doubles; amsgrad, maximize as bools), then per
/// parameter its step (int64), exp_avg and exp_avg_sq (TorchSharp tensors) and an optional max_exp_avg_sq. The states
/// are in the order the optimizer was given the parameters, which was the module's named_parameters() order, the
/// order <see cref="FlatParameters"/> uses.</summary>
public static class LegacyAdamState
{
    /// <summary>Whether the file starts with TorchSharp's optimizer header ("Adam" as a .NET string).</summary>
    public static bool IsLegacy(string path)
    {
        using var stream = SharedRead.Open(path);
        using var reader = new BinaryReader(stream);
        try
        {
            return stream.Length > 5 && stream.ReadByte() == 4 && new string(reader.ReadChars(4)) == "Adam";
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException)
        {
            return false;
        }
    }

    public static Dictionary<string, Tensor> Read(string path, FlatParameters parameters)
    {
        var named = parameters.Parameters.ToArray();
        using var stream = SharedRead.Open(path);
        using var reader = new BinaryReader(stream);
        if (reader.ReadString() != "Adam") throw new InvalidDataException($"{Path.GetFileName(path)}: not a TorchSharp Adam state");
        long groups = StateDictFile.Decode(reader), states = StateDictFile.Decode(reader);
        if (states != named.Length)
            throw new InvalidDataException($"{Path.GetFileName(path)}: state for {states} parameters, the network has {named.Length}");
        for (long g = 0; g < groups; g++)
        {
            for (int i = 0; i < 6; i++) reader.ReadDouble();
            reader.ReadBoolean();
            reader.ReadBoolean();
        }
        var sd = new Dictionary<string, Tensor>();
        long step = 0;
        foreach (var (name, _) in named)
        {
            step = Math.Max(step, reader.ReadInt64());
            sd["exp_avg." + name] = TorchSharp.TensorExtensionMethods.Load(reader);
            sd["exp_avg_sq." + name] = TorchSharp.TensorExtensionMethods.Load(reader);
            if (reader.ReadBoolean()) TorchSharp.TensorExtensionMethods.Load(reader).Dispose(); // amsgrad: unused here
        }
        sd["step"] = tensor(step, device: CPU);
        return sd;
    }
}
