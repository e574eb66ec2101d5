namespace SrTrain.Data;

/// <summary>What was drawn for one sample of a batch (for logs and tests): the image, the HQ top-left of the
/// (full) patch in the image, and the augmentation applied.</summary>
public sealed record SampleInfo(string Image, int HqTop, int HqLeft, bool HFlip, bool VFlip, bool Transpose);
