using static TorchSharp.torch;

namespace SrTrain.Runtime;

/// <summary>Tensor arithmetic without the hidden Scalars of TorchSharp's operators: <c>a + b</c> and <c>a - b</c>
/// call <c>add(b, 1)</c>/<c>sub(b, 1)</c>, which make a temporary Scalar that a GC on another thread can free while
/// libtorch reads it (see <see cref="Scalars"/>). These pass a long-lived alpha instead; the results are bit-identical
/// (libtorch's sub is add with −alpha).</summary>
internal static class TensorOps
{
    /// <summary>a + b.</summary>
    public static Tensor Add(Tensor a, Tensor b) => a.add(b, Scalars.One);

    /// <summary>a − b.</summary>
    public static Tensor Sub(Tensor a, Tensor b) => a.add(b, Scalars.MinusOne);

    /// <summary>a += b, in place.</summary>
    public static Tensor AddInPlace(Tensor a, Tensor b) => a.add_(b, Scalars.One);

    /// <summary>a −= b, in place.</summary>
    public static Tensor SubInPlace(Tensor a, Tensor b) => a.add_(b, Scalars.MinusOne);
}
