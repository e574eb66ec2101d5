namespace SrTrain.Degradation;

/// <summary>The Bessel function of the first kind of order one, as Cephes' j1.c computes it (the routine behind
/// scipy.special.j1, which BasicSR's circular_lowpass_kernel calls): a rational approximation with the zeros
/// 14.68… and 49.21… of J1(√z)/√z factored out for |x| ≤ 5, and the Hankel asymptotic form with rational P and Q
/// for |x| &gt; 5. The same coefficients and order of operations, so values agree with scipy to a few ulp.</summary>
internal static class BesselJ1
{
    static readonly double[] RP = { -8.99971225705559398224E8, 4.52228297998194034323E11, -7.27494245221818276015E13, 3.68295732863852883286E15 };
    static readonly double[] RQ = { 6.20836478118054335476E2, 2.56987256757748830383E5, 8.35146791431949253037E7, 2.21511595479792499675E10,
        4.74914122079991414898E12, 7.84369607876235854894E14, 8.95222336184627338078E16, 5.32278620332680085395E18 };
    static readonly double[] PP = { 7.62125616208173112003E-4, 7.31397056940917570436E-2, 1.12719608129684925192E0, 5.11207951146807644818E0,
        8.42404590141772420927E0, 5.21451598682361504063E0, 1.00000000000000000254E0 };
    static readonly double[] PQ = { 5.71323128072548699714E-4, 6.88455908754495404082E-2, 1.10514232634061696926E0, 5.07386386128601488557E0,
        8.39985554327604159757E0, 5.20982848682361821619E0, 9.99999999999999997461E-1 };
    static readonly double[] QP = { 5.10862594750176621635E-2, 4.98213872951233449420E0, 7.58238284132545283818E1, 3.66779609360150777800E2,
        7.10856304998926107277E2, 5.97489612400613639965E2, 2.11688757100572135698E2, 2.52070205858023719784E1 };
    static readonly double[] QQ = { 7.42373277035675149943E1, 1.05644886038262816351E3, 4.98641058337653607651E3, 9.56231892404756170795E3,
        7.99704160447350683650E3, 2.82619278517639096600E3, 3.36093607810698293419E2 };

    const double Z1 = 1.46819706421238932572E1;
    const double Z2 = 4.92184563216946036703E1;
    const double ThreePiOver4 = 2.35619449019234492885;
    const double SqrtTwoOverPi = 7.9788456080286535587989E-1;

    /// <summary>J1(<paramref name="x"/>); odd in x.</summary>
    public static double J1(double x)
    {
        if (x < 0) return -J1(-x);
        if (x <= 5.0)
        {
            double z = x * x;
            double w = Polevl(z, RP) / P1evl(z, RQ);
            return w * x * (z - Z1) * (z - Z2);
        }
        double v = 5.0 / x;
        double zz = v * v;
        double p = Polevl(zz, PP) / Polevl(zz, PQ);
        double q = Polevl(zz, QP) / P1evl(zz, QQ);
        double xn = x - ThreePiOver4;
        p = p * Math.Cos(xn) - v * q * Math.Sin(xn);
        return p * SqrtTwoOverPi / Math.Sqrt(x);
    }

    /// <summary>Cephes polevl: coef[0]·x^N + … + coef[N].</summary>
    static double Polevl(double x, double[] coef)
    {
        double ans = coef[0];
        for (int i = 1; i < coef.Length; i++) ans = ans * x + coef[i];
        return ans;
    }

    /// <summary>Cephes p1evl: x^N + coef[0]·x^(N−1) + … + coef[N−1] (leading coefficient 1 implied).</summary>
    static double P1evl(double x, double[] coef)
    {
        double ans = x + coef[0];
        for (int i = 1; i < coef.Length; i++) ans = ans * x + coef[i];
        return ans;
    }
}
