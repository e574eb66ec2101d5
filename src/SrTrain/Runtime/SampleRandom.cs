namespace SrTrain.Runtime;

/// <summary>A small splitmix64 generator. Every random choice of a training sample comes from one of these, seeded by
/// a hash of (seed, step, sample index), so the data of step N never depends on which thread made it or on what was
/// drawn before: a run resumed at step N sees exactly what an uninterrupted run would. Implemented here (not
/// System.Random) so the stream is fixed by this code, not by the runtime version.</summary>
internal sealed class SampleRandom
{
    ulong _state;
    double? _spareGaussian;

    public SampleRandom(ulong state) => _state = state;

    /// <summary>The stream for sample <paramref name="index"/> of <paramref name="step"/>; index −1 is the stream for
    /// choices shared by the whole batch (the translational corners).</summary>
    public static SampleRandom For(long seed, long step, int index)
    {
        ulong h = Mix((ulong)seed ^ 0x5EED_0000_0000_0001UL);
        h = Mix(h ^ (ulong)step);
        h = Mix(h ^ (ulong)(long)index);
        return new SampleRandom(h);
    }

    static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        ulong z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>An independent stream seeded from this one (one draw), for a step whose number of draws varies
    /// (noise draws one value per pixel), so that the draws after it do not depend on whether it ran.</summary>
    public SampleRandom Fork() => new(Mix(NextUInt64()));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        return (int)((NextUInt64() >> 33) * (ulong)n >> 31);
    }

    /// <summary>Uniform in [lo, hi].</summary>
    public double NextUniform(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>Standard normal (Box–Muller, both values used).</summary>
    public double NextGaussian()
    {
        if (_spareGaussian is double s) { _spareGaussian = null; return s; }
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareGaussian = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }
}
