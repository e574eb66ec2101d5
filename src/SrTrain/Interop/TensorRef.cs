namespace SrTrain.Interop;

/// <summary>What torch._utils._rebuild_tensor_v2 would build, kept as a description: the tensor is only materialised
/// once we know it belongs to the state dict we want.</summary>
internal sealed record TensorRef(object Storage, long Offset, long[] Size, long[] Stride);
