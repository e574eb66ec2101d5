using SrTrain.Data;
using static TorchSharp.torch;

namespace SrTrain.Training;

/// <summary>One step's data as the training step sees it. With the translational term active, <see cref="Lq"/>/<see cref="Hq"/>
/// are corner crop 1 of a larger patch, <see cref="Lq2"/> is a different corner of the same patch, and the regions
/// locate the part all corners share in each crop's own output coordinates.</summary>
public sealed record TrainingBatch(Tensor Lq, Tensor Hq, Tensor? Lq2 = null, Region? Region1 = null, Region? Region2 = null)
{
    public bool HasSecondCorner => Lq2 is not null && Region1 is not null && Region2 is not null;
}
