package dev.parapet.export;

/**
 * Limited-memory BFGS with a backtracking (Armijo) line search, for smooth convex objectives such as
 * regularised logistic regression. Deterministic: no randomness, fixed arithmetic order, so the same
 * input gives bit-identical results on the same JVM. The one L-BFGS of the project: {@link LinearHeadFitter}
 * and guard-train's logistic regression both use it.
 */
public final class Lbfgs {
    private static final int MEMORY = 10;

    /** Value of the objective at {@code theta}; writes the gradient into {@code grad}. */
    @FunctionalInterface
    public interface Objective {
        double evaluate(double[] theta, double[] grad);
    }

    private Lbfgs() {
    }

    /**
     * Minimises {@code f} from {@code start} (not modified).
     *
     * @param tolerance stop when the largest gradient entry falls below this, or the objective stops improving
     */
    public static double[] minimize(Objective f, double[] start, int maxIterations, double tolerance) {
        int d = start.length;
        double[] x = start.clone();
        double[] g = new double[d];
        double fx = f.evaluate(x, g);
        double[][] s = new double[MEMORY][];
        double[][] y = new double[MEMORY][];
        double[] rho = new double[MEMORY];
        int stored = 0;
        int head = 0;
        double[] alpha = new double[MEMORY];
        double[] xNew = new double[d];
        double[] gNew = new double[d];
        for (int iter = 0; iter < maxIterations; iter++) {
            if (maxAbs(g) < tolerance) {
                break;
            }
            // two-loop recursion: direction = -H g
            double[] q = g.clone();
            for (int k = 0; k < stored; k++) {
                int idx = Math.floorMod(head - 1 - k, MEMORY);
                alpha[idx] = rho[idx] * dot(s[idx], q);
                axpy(-alpha[idx], y[idx], q);
            }
            double gamma;
            if (stored > 0) {
                int last = Math.floorMod(head - 1, MEMORY);
                gamma = dot(s[last], y[last]) / dot(y[last], y[last]);
            } else {
                gamma = 1.0 / Math.max(1.0, Math.sqrt(dot(g, g)));
            }
            for (int j = 0; j < d; j++) {
                q[j] *= gamma;
            }
            for (int k = stored - 1; k >= 0; k--) {
                int idx = Math.floorMod(head - 1 - k, MEMORY);
                double beta = rho[idx] * dot(y[idx], q);
                axpy(alpha[idx] - beta, s[idx], q);
            }
            for (int j = 0; j < d; j++) {
                q[j] = -q[j];
            }
            double slope = dot(g, q);
            if (slope >= 0) {
                // not a descent direction (numerical trouble): restart from steepest descent
                stored = 0;
                for (int j = 0; j < d; j++) {
                    q[j] = -g[j] * gamma;
                }
                slope = dot(g, q);
            }
            double step = 1.0;
            double fNew = Double.NaN;
            boolean accepted = false;
            for (int ls = 0; ls < 40; ls++) {
                for (int j = 0; j < d; j++) {
                    xNew[j] = x[j] + step * q[j];
                }
                fNew = f.evaluate(xNew, gNew);
                if (Double.isFinite(fNew) && fNew <= fx + 1e-4 * step * slope) {
                    accepted = true;
                    break;
                }
                step *= 0.5;
            }
            if (!accepted) {
                break;
            }
            double[] sk = new double[d];
            double[] yk = new double[d];
            for (int j = 0; j < d; j++) {
                sk[j] = xNew[j] - x[j];
                yk[j] = gNew[j] - g[j];
            }
            double sy = dot(sk, yk);
            if (sy > 1e-12) {
                s[head] = sk;
                y[head] = yk;
                rho[head] = 1.0 / sy;
                head = (head + 1) % MEMORY;
                stored = Math.min(stored + 1, MEMORY);
            }
            double improvement = fx - fNew;
            System.arraycopy(xNew, 0, x, 0, d);
            System.arraycopy(gNew, 0, g, 0, d);
            fx = fNew;
            if (improvement < 1e-10 * Math.max(1.0, Math.abs(fx))) {
                break;
            }
        }
        return x;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            y[i] += a * x[i];
        }
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}
