using static TorchSharp.torch;

namespace SrTrain.Distributed;

/// <summary>The one point where data-parallel training enters an optimisation step: called after each network's
/// backward pass and before gradient clipping and the optimizer step. It averages the network's gradients over all
/// ranks, so every rank takes the same step and the weights stay identical, and it agrees on whether the step counts:
/// a non-finite loss on any rank skips the step on every rank.</summary>
internal interface IGradientSync
{
    /// <summary>Averages <paramref name="gradients"/> over the ranks, in place: all of a network's gradients in one
    /// contiguous float32 buffer, as its optimizer keeps them (<c>FlatParameters.Grad</c>), so a step costs one
    /// collective call per network. <paramref name="finiteHere"/>: this rank's loss was finite (and its backward ran).
    /// Returns true when the loss was finite on every rank (then the gradients are the average); false means: skip
    /// this update everywhere (the gradients are left as they were).</summary>
    bool Average(Tensor gradients, bool finiteHere);
}
