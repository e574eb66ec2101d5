using TorchSharp;

namespace SrTrain.Runtime;

/// <summary>Long-lived TorchSharp Scalars for the constants SrTrain's tensor code uses.
/// <para>Why: a number passed where TorchSharp wants a <see cref="Scalar"/> (<c>t.mul_(0.2)</c>, <c>clamp(0, 1)</c>, and
/// inside TorchSharp <c>a + b</c>, which calls <c>add(b, 1)</c>) makes a native Scalar whose managed wrapper is garbage
/// as soon as its handle has been read. A GC started by another thread (data workers, logging) can then finalise it
/// while libtorch still reads it: "Expected false to be true … toFloat at c10/core/Scalar.h". These fields live for the
/// process, so they are never finalised. The build's analyzer (src/SrTrain.Analyzers, SRT001/SRT002) rejects the
/// implicit forms; values that change (a learning rate) are made with <c>using var s = x.ToScalar();</c> instead.</para></summary>
internal static class Scalars
{
    public static readonly Scalar Zero = 0.0.ToScalar();
    public static readonly Scalar One = 1.0.ToScalar();
    public static readonly Scalar MinusOne = (-1.0).ToScalar();
    public static readonly Scalar Half = 0.5.ToScalar();
    public static readonly Scalar Two = 2.0.ToScalar();
    /// <summary>ESRGAN's residual scaling and LeakyReLU slope.</summary>
    public static readonly Scalar Point2 = 0.2.ToScalar();
    /// <summary>MSRResNet's LeakyReLU slope.</summary>
    public static readonly Scalar Point1 = 0.1.ToScalar();
    public static readonly Scalar Byte = 255.0.ToScalar();
}
