package dev.parapet.train;

import dev.parapet.export.Lbfgs;
import dev.parapet.onnx.EmbeddingHead;

import java.util.List;

/**
 * L2-regularised logistic regression fitted exactly with L-BFGS (deterministic: full-batch, fixed
 * row split). Minimises {@code Σ c_i·logloss(y_i, w·x_i + b) / Σ c_i + λ/2·|w|²}; the intercept is
 * not penalised. With {@code intercept = false} and all targets 1 on difference rows
 * {@code x_chosen - x_rejected} this is the Bradley-Terry (pairwise logistic) loss of a linear reward.
 */
final class LogisticRegression {
    private LogisticRegression() {
    }

    /**
     * @param x         standardised features
     * @param y         targets in [0, 1]
     * @param c         sample weights (class weights), or {@code null} for 1
     * @param lambda    L2 strength
     */
    static Network fit(float[][] x, double[] y, double[] c, double lambda, boolean intercept, int threads, int maxIterations) {
        int n = x.length;
        int d = x[0].length;
        double[] weights = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            weights[i] = c == null ? 1.0 : c[i];
            total += weights[i];
        }
        double norm = 1.0 / total;
        Lbfgs.Objective f = (theta, grad) -> {
            float[] w = new float[d];
            for (int j = 0; j < d; j++) {
                w[j] = (float) theta[j];
            }
            double b = intercept ? theta[d] : 0.0;
            List<double[]> parts = Numeric.split(n, threads, (from, to) -> {
                float[] g = new float[d];
                double loss = 0;
                double gb = 0;
                for (int i = from; i < to; i++) {
                    double z = Numeric.dot(w, 0, x[i], 0, d) + b;
                    loss += weights[i] * (Numeric.softplus(z) - y[i] * z);
                    double r = weights[i] * (Numeric.sigmoid(z) - y[i]);
                    gb += r;
                    Numeric.axpy((float) r, x[i], 0, g, 0, d);
                }
                double[] out = new double[d + 2];
                for (int j = 0; j < d; j++) {
                    out[j] = g[j];
                }
                out[d] = gb;
                out[d + 1] = loss;
                return out;
            });
            double loss = 0;
            java.util.Arrays.fill(grad, 0.0);
            for (double[] p : parts) {
                for (int j = 0; j < d; j++) {
                    grad[j] += p[j];
                }
                if (intercept) {
                    grad[d] += p[d];
                }
                loss += p[d + 1];
            }
            double reg = 0;
            for (int j = 0; j < d; j++) {
                grad[j] = grad[j] * norm + lambda * theta[j];
                reg += theta[j] * theta[j];
            }
            if (intercept) {
                grad[d] *= norm;
            }
            return loss * norm + 0.5 * lambda * reg;
        };
        double[] theta = Lbfgs.minimize(f, new double[intercept ? d + 1 : d], maxIterations, 1e-6);
        float[] w = new float[d];
        for (int j = 0; j < d; j++) {
            w[j] = (float) theta[j];
        }
        float[] bias = {intercept ? (float) theta[d] : 0f};
        return new Network(List.of(new Network.Layer(d, 1, w, bias, EmbeddingHead.Activation.NONE)));
    }
}
