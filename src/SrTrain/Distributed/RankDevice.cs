using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Distributed;

/// <summary>Data parallel on GPUs: each rank of a machine trains on its own GPU (local rank modulo the GPU count), as
/// torchrun's LOCAL_RANK convention does.</summary>
internal static class RankDevice
{
    public static Device Select(Device chosen, ProcessGroup ranks)
    {
        if (chosen.type != DeviceType.CUDA || !ranks.IsDistributed) return chosen;
        int count = (int)cuda.device_count();
        return new Device(DeviceType.CUDA, count > 0 ? ranks.LocalRank % count : 0);
    }
}
