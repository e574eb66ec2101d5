
namespace SrTrain.Translational;

/// <summary>Where one corner crop sits in the full patch (HQ and LQ pixels), and where the region that all four corner
/// crops share sits inside this crop's own output (HQ) coordinates.</summary>
internal sealed record CornerCrop(Corner Corner, int HqTop, int HqLeft, int HqSize, int LqTop, int LqLeft, int LqSize, Region Shared);
