namespace SrTrain.Data;

/// <summary>The decoded pixels of an entry: HQ cropped to a multiple of the scale (and padded if asked), and the
/// paired LQ if there is one.</summary>
internal sealed record LoadedImage(RgbImage Hq, RgbImage? Lq);
