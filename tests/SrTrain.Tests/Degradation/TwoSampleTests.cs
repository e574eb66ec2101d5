namespace SrTrain.Tests.Degradation;

/// <summary>Two-sample tests for comparing SrTrain's random draws with BasicSR's: Kolmogorov–Smirnov with the
/// asymptotic Kolmogorov distribution, and the chi-square test of homogeneity on category counts.</summary>
internal static class TwoSampleTests
{
    /// <summary>The KS statistic D = sup |F1 − F2| of two samples (ties handled: both CDFs step past a value together).</summary>
    public static double KsStatistic(double[] a, double[] b)
    {
        var x = (double[])a.Clone();
        var y = (double[])b.Clone();
        Array.Sort(x);
        Array.Sort(y);
        int i = 0, j = 0;
        double d = 0;
        while (i < x.Length && j < y.Length)
        {
            double v = Math.Min(x[i], y[j]);
            while (i < x.Length && x[i] == v) i++;
            while (j < y.Length && y[j] == v) j++;
            d = Math.Max(d, Math.Abs((double)i / x.Length - (double)j / y.Length));
        }
        return d;
    }

    /// <summary>P(D ≥ d) for sample sizes n1, n2 from the asymptotic Kolmogorov distribution
    /// Q(λ) = 2 Σ (−1)^(k−1) exp(−2k²λ²) with Stephens' λ = (√n + 0.12 + 0.11/√n)·d, n = n1·n2/(n1 + n2).</summary>
    public static double KsPValue(double d, int n1, int n2)
    {
        double en = Math.Sqrt((double)n1 * n2 / (n1 + n2));
        return KolmogorovQ((en + 0.12 + 0.11 / en) * d);
    }

    /// <summary>The Kolmogorov distribution's survival function Q(λ) = 2 Σ_{k≥1} (−1)^(k−1) exp(−2k²λ²)
    /// (scipy.stats.kstwobign.sf).</summary>
    public static double KolmogorovQ(double lambda)
    {
        if (lambda < 0.2) return 1;
        double sum = 0, sign = 1;
        for (int k = 1; k <= 100; k++)
        {
            double term = sign * Math.Exp(-2.0 * k * k * lambda * lambda);
            sum += term;
            if (Math.Abs(term) < 1e-16 * Math.Abs(sum)) break;
            sign = -sign;
        }
        return Math.Clamp(2 * sum, 0, 1);
    }

    public static double KsTest(double[] a, double[] b) => KsPValue(KsStatistic(a, b), a.Length, b.Length);

    /// <summary>Chi-square test of homogeneity of two count vectors over the same categories (categories empty in
    /// both are dropped); returns the p-value with (categories − 1) degrees of freedom.</summary>
    public static double ChiSquareHomogeneity(long[] a, long[] b)
    {
        double na = a.Sum(), nb = b.Sum(), n = na + nb, chi = 0;
        int k = 0;
        for (int c = 0; c < a.Length; c++)
        {
            double col = a[c] + b[c];
            if (col == 0) continue;
            k++;
            double ea = col * na / n, eb = col * nb / n;
            chi += (a[c] - ea) * (a[c] - ea) / ea + (b[c] - eb) * (b[c] - eb) / eb;
        }
        return k <= 1 ? 1 : ChiSquareSurvival(chi, k - 1);
    }

    /// <summary>P(χ²_df ≥ x) = Q(df/2, x/2), the regularised upper incomplete gamma function.</summary>
    public static double ChiSquareSurvival(double x, int df) => x <= 0 ? 1 : GammaQ(df / 2.0, x / 2.0);

    static double GammaQ(double a, double x)
    {
        if (x < a + 1)
        {
            // series for P(a, x)
            double ap = a, del = 1 / a, sum = del;
            for (int n = 0; n < 1000; n++)
            {
                ap += 1;
                del *= x / ap;
                sum += del;
                if (Math.Abs(del) < Math.Abs(sum) * 1e-15) break;
            }
            return 1 - sum * Math.Exp(-x + a * Math.Log(x) - LogGamma(a));
        }
        // continued fraction for Q(a, x) (modified Lentz)
        double b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d;
        for (int i = 1; i < 1000; i++)
        {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < 1e-300) d = 1e-300;
            c = b + an / c;
            if (Math.Abs(c) < 1e-300) c = 1e-300;
            d = 1 / d;
            double del = d * c;
            h *= del;
            if (Math.Abs(del - 1) < 1e-15) break;
        }
        return Math.Exp(-x + a * Math.Log(x) - LogGamma(a)) * h;
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7, 9 terms; ~1e-15 relative).</summary>
    public static double LogGamma(double x)
    {
        double[] g = { 0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7 };
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        double s = g[0];
        for (int i = 1; i < 9; i++) s += g[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(s);
    }
}
