package dev.parapet.train;

/**
 * Platt scaling: {@code p = sigmoid(a·z + b)} fitted by Newton's method on held-out scores, with
 * Platt's smoothed targets ({@code (N₊+1)/(N₊+2)} and {@code 1/(N₋+2)}) so that a perfectly
 * separated validation split does not drive {@code a} to infinity.
 *
 * @param a slope applied to the raw score
 * @param b offset
 */
public record Calibration(double a, double b) {

    public double apply(double z) {
        return Numeric.sigmoid(a * z + b);
    }

    /** Platt scaling of raw scores {@code z} against labels {@code y} (1 = flagged). */
    public static Calibration platt(double[] z, int[] y) {
        int pos = 0;
        for (int v : y) {
            pos += v;
        }
        int neg = y.length - pos;
        double hi = (pos + 1.0) / (pos + 2.0);
        double lo = 1.0 / (neg + 2.0);
        double[] t = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            t[i] = y[i] == 1 ? hi : lo;
        }
        return fit(z, t, true, 1.0, Math.log((neg + 1.0) / (pos + 1.0)) * -1);
    }

    /**
     * Slope only ({@code b = 0}) on score differences that should be positive (pairwise data: the
     * chosen response's reward minus the rejected one's). The fitted {@code a} makes
     * {@code sigmoid(a·(r₁ - r₂))} a calibrated chance that the first beats the second.
     */
    public static double pairwiseSlope(double[] margins) {
        double[] t = new double[margins.length];
        java.util.Arrays.fill(t, 1.0);
        // symmetric: each margin also appears negated with target 0, which keeps b at 0 and a finite
        double[] z = new double[margins.length * 2];
        double[] tt = new double[margins.length * 2];
        for (int i = 0; i < margins.length; i++) {
            z[2 * i] = margins[i];
            tt[2 * i] = 1.0;
            z[2 * i + 1] = -margins[i];
            tt[2 * i + 1] = 0.0;
        }
        return fit(z, tt, false, 1.0, 0.0).a;
    }

    private static Calibration fit(double[] z, double[] t, boolean withOffset, double a0, double b0) {
        double a = a0;
        double b = withOffset ? b0 : 0.0;
        double lambda = 1e-6; // keeps the Hessian invertible
        double prev = Double.POSITIVE_INFINITY;
        for (int iter = 0; iter < 100; iter++) {
            double ga = lambda * a;
            double gb = withOffset ? lambda * b : 0;
            double haa = lambda;
            double hab = 0;
            double hbb = lambda;
            double loss = 0.5 * lambda * (a * a + b * b);
            for (int i = 0; i < z.length; i++) {
                double s = a * z[i] + b;
                double p = Numeric.sigmoid(s);
                loss += Numeric.softplus(s) - t[i] * s;
                double r = p - t[i];
                double w = p * (1 - p);
                ga += r * z[i];
                gb += r;
                haa += w * z[i] * z[i];
                hab += w * z[i];
                hbb += w;
            }
            double da;
            double db;
            if (withOffset) {
                double det = haa * hbb - hab * hab;
                da = (hbb * ga - hab * gb) / det;
                db = (haa * gb - hab * ga) / det;
            } else {
                da = ga / haa;
                db = 0;
            }
            // damped Newton step: halve until the loss does not increase
            double step = 1.0;
            double na = a - da;
            double nb = b - db;
            for (int k = 0; k < 30 && lossAt(z, t, na, nb, lambda) > loss + 1e-12; k++) {
                step *= 0.5;
                na = a - step * da;
                nb = b - step * db;
            }
            a = na;
            b = nb;
            if (Math.abs(prev - loss) < 1e-12 * Math.max(1, Math.abs(loss)) && Math.abs(da) + Math.abs(db) < 1e-9) {
                break;
            }
            prev = loss;
        }
        return new Calibration(a, b);
    }

    private static double lossAt(double[] z, double[] t, double a, double b, double lambda) {
        double loss = 0.5 * lambda * (a * a + b * b);
        for (int i = 0; i < z.length; i++) {
            double s = a * z[i] + b;
            loss += Numeric.softplus(s) - t[i] * s;
        }
        return loss;
    }
}
