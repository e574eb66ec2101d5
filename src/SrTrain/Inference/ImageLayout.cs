namespace SrTrain.Inference;

/// <summary>What must survive an upscale round trip: grey stays grey, alpha stays, 16 bits stay 16 bits.</summary>
/// <param name="Grey">The file holds one luminance channel (PNG grey colour types, JPEG luminance).</param>
/// <param name="HasAlpha">The file holds transparency (an alpha channel, or a PNG tRNS entry).</param>
/// <param name="SixteenBit">The file holds 16 bits per channel (PNG bit depth 16).</param>
internal sealed record ImageLayout(bool Grey, bool HasAlpha, bool SixteenBit);
