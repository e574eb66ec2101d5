using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Training;

/// <summary>Moves each batch to the training device (a no-op on the CPU).</summary>
sealed class DeviceTrainingData : ITrainingData
{
    readonly ITrainingData _inner;
    readonly Device _device;

    public DeviceTrainingData(ITrainingData inner, Device device)
    {
        _inner = inner;
        _device = device;
    }

    public void Start(long step) => _inner.Start(step);

    public Data.TrainingBatch Next(long step)
    {
        var b = _inner.Next(step);
        if (_device.type == DeviceType.CPU) return b;
        return new Data.TrainingBatch
        {
            Step = b.Step,
            Lq = b.Lq.to(_device),
            Hq = b.Hq.to(_device),
            SecondView = b.SecondView is { } v ? v with { Lq = v.Lq.to(_device) } : null,
            Samples = b.Samples,
        };
    }

    public void Dispose() => _inner.Dispose();
}
