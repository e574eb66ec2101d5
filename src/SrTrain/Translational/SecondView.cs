using SrTrain.Data;
using static TorchSharp.torch;

namespace SrTrain.Translational;

/// <summary>What a batch carries while the translational term is active: the LQ of a second corner of each full
/// patch (B,3,h,w), the crop of the main pass (the batch's Lq/Hq) and the crop of this second corner. Only the second
/// LQ is needed: the term compares two generator outputs, not HQ pixels.</summary>
public sealed record SecondView(Tensor Lq, CornerCrop MainCrop, CornerCrop Crop)
{
    /// <summary>The region all corners share, in the main output's own HQ coordinates.</summary>
    public Region MainRegion => MainCrop.Shared;

    /// <summary>The same region in the second output's own HQ coordinates.</summary>
    public Region Region => Crop.Shared;
}
