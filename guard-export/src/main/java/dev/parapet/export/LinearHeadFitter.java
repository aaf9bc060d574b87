package dev.parapet.export;

import java.util.List;
import java.util.Objects;

/**
 * Fits a {@link LinearHead} by L2-regularised (multinomial) logistic regression.
 *
 * <p>The objective is the (optionally class-weighted) mean cross-entropy plus
 * {@code l2 / 2 * ||W||²} (biases are not penalised), minimised in double precision by the shared {@link Lbfgs}
 * (Armijo backtracking). Features are standardised internally so that the penalty treats every
 * dimension alike and the optimiser is well conditioned; the standardisation is folded back into the
 * returned weights, so the head applies to <em>raw</em> features (e.g. pooled encoder output).
 *
 * <p>Fitting is deterministic: no randomness, a fixed evaluation order, zero initial weights. The same
 * input gives bit-identical weights on the same JVM.
 *
 * <p>Two labels are fitted as one logistic regression and returned as a symmetric two-row softmax head
 * ({@code -w/2, +w/2}), whose softmax equals the sigmoid of the binary model. More labels are fitted as
 * softmax regression.
 */
public final class LinearHeadFitter {

    private final double l2;
    private final boolean balanced;
    private final int maxIterations;
    private final double tolerance;

    private LinearHeadFitter(Builder b) {
        this.l2 = b.l2;
        this.balanced = b.balanced;
        this.maxIterations = b.maxIterations;
        this.tolerance = b.tolerance;
    }

    /** A fitter with the defaults: {@code l2 = 0.01}, no class weighting, 1000 iterations, tolerance 1e-6. */
    public static LinearHeadFitter defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a {@link LinearHeadFitter}. */
    public static final class Builder {
        private double l2 = 1e-2;
        private boolean balanced;
        private int maxIterations = 1000;
        private double tolerance = 1e-6;

        private Builder() {
        }

        /**
         * Strength of the L2 penalty on the (standardised) weights, relative to the mean loss; {@code >= 0}.
         * Zero on separable data lets the weights grow until {@link #maxIterations(int)} stops them.
         */
        public Builder l2(double l2) {
            this.l2 = l2;
            return this;
        }

        /**
         * Weight each example by {@code n / (numLabels * count(its label))}, so that every label contributes
         * equally to the loss however rare it is (scikit-learn's {@code class_weight="balanced"}).
         */
        public Builder balanced(boolean balanced) {
            this.balanced = balanced;
            return this;
        }

        /** Upper bound on L-BFGS iterations; {@code >= 1}. */
        public Builder maxIterations(int maxIterations) {
            this.maxIterations = maxIterations;
            return this;
        }

        /** Stop when the largest absolute gradient entry falls to this; {@code > 0}. */
        public Builder tolerance(double tolerance) {
            this.tolerance = tolerance;
            return this;
        }

        public LinearHeadFitter build() {
            StringBuilder problems = new StringBuilder();
            if (!(l2 >= 0) || Double.isInfinite(l2)) {
                problems.append("\n - l2 must be a finite number >= 0, got ").append(l2);
            }
            if (maxIterations < 1) {
                problems.append("\n - maxIterations must be >= 1, got ").append(maxIterations);
            }
            if (!(tolerance > 0) || Double.isInfinite(tolerance)) {
                problems.append("\n - tolerance must be a finite number > 0, got ").append(tolerance);
            }
            if (problems.length() > 0) {
                throw new IllegalArgumentException("Invalid LinearHeadFitter settings:" + problems);
            }
            return new LinearHeadFitter(this);
        }
    }

    /**
     * Fits a head.
     *
     * @param features   {@code [n][dimension]} raw features, all finite
     * @param labels     {@code n} label ids in {@code [0, labelNames.size())}; every label needs at least
     *                   one example
     * @param labelNames label names in id order, at least two, unique
     * @return a head over raw features with {@code labelNames.size()} rows
     */
    public LinearHead fit(float[][] features, int[] labels, List<String> labelNames) {
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(labelNames, "labelNames");
        int n = features.length;
        int k = labelNames.size();
        if (k < 2) {
            throw new IllegalArgumentException("labelNames must name at least 2 labels, got " + labelNames);
        }
        if (n == 0) {
            throw new IllegalArgumentException("features is empty: need at least one example per label");
        }
        if (labels.length != n) {
            throw new IllegalArgumentException("labels has " + labels.length + " entries but features has " + n + " rows");
        }
        int d = -1;
        for (int i = 0; i < n; i++) {
            float[] row = features[i];
            if (row == null || row.length == 0) {
                throw new IllegalArgumentException("features row " + i + " is null or empty");
            }
            if (d >= 0 && row.length != d) {
                throw new IllegalArgumentException("features rows differ in length: row 0 has " + d
                        + " columns, row " + i + " has " + row.length);
            }
            d = row.length;
            for (float v : row) {
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("features row " + i + " holds a non-finite value " + v);
                }
            }
        }
        int[] counts = new int[k];
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= k) {
                throw new IllegalArgumentException("labels[" + i + "] = " + labels[i] + " is outside [0, " + k + ")");
            }
            counts[labels[i]]++;
        }
        for (int c = 0; c < k; c++) {
            if (counts[c] == 0) {
                throw new IllegalArgumentException("label '" + labelNames.get(c) + "' (id " + c + ") has no training examples");
            }
        }

        // Standardise so the penalty and the step sizes mean the same thing in every dimension.
        double[] mean = new double[d];
        double[] scale = new double[d];
        for (float[] row : features) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        for (float[] row : features) {
            for (int j = 0; j < d; j++) {
                double c = row[j] - mean[j];
                scale[j] += c * c;
            }
        }
        for (int j = 0; j < d; j++) {
            double sd = Math.sqrt(scale[j] / n);
            // A constant feature carries no signal; scale 1 keeps it at zero instead of dividing by zero.
            scale[j] = sd > 1e-12 ? sd : 1.0;
        }
        double[][] z = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                z[i][j] = (features[i][j] - mean[j]) / scale[j];
            }
        }
        double[] sampleWeight = new double[n];
        for (int i = 0; i < n; i++) {
            sampleWeight[i] = balanced ? (double) n / (k * (double) counts[labels[i]]) : 1.0;
        }

        Objective objective = new Objective(z, labels, sampleWeight, k, l2);
        double[] theta = Lbfgs.minimize(objective::evaluate, new double[objective.size()], maxIterations, tolerance);

        // Fold the standardisation back: w·(x-μ)/σ + b = (w/σ)·x + (b - Σ w μ/σ).
        int rows = objective.rows;
        double[][] w = new double[rows][d];
        double[] b = new double[rows];
        for (int r = 0; r < rows; r++) {
            int off = r * (d + 1);
            double bias = theta[off + d];
            for (int j = 0; j < d; j++) {
                w[r][j] = theta[off + j] / scale[j];
                bias -= w[r][j] * mean[j];
            }
            b[r] = bias;
        }
        float[][] weights = new float[k][d];
        float[] bias = new float[k];
        if (k == 2) {
            // One logit difference z, expressed as [-z/2, +z/2]: same softmax, and neither class is special.
            for (int j = 0; j < d; j++) {
                weights[0][j] = (float) (-w[0][j] / 2);
                weights[1][j] = (float) (w[0][j] / 2);
            }
            bias[0] = (float) (-b[0] / 2);
            bias[1] = (float) (b[0] / 2);
        } else {
            for (int r = 0; r < k; r++) {
                for (int j = 0; j < d; j++) {
                    weights[r][j] = (float) w[r][j];
                }
                bias[r] = (float) b[r];
            }
        }
        return new LinearHead(weights, bias, labelNames);
    }

    /** Weighted mean cross-entropy plus L2 over standardised features; parameters laid out row by row, bias last. */
    private static final class Objective {
        final double[][] x;
        final int[] y;
        final double[] weight;
        final int classes;
        final int rows;
        final int dim;
        final double l2;
        final double weightSum;

        Objective(double[][] x, int[] y, double[] weight, int classes, double l2) {
            this.x = x;
            this.y = y;
            this.weight = weight;
            this.classes = classes;
            // Binary: class 0's logit is pinned to 0, which removes the softmax's redundant degree of freedom.
            this.rows = classes == 2 ? 1 : classes;
            this.dim = x[0].length;
            this.l2 = l2;
            double sum = 0;
            for (double w : weight) {
                sum += w;
            }
            this.weightSum = sum;
        }

        int size() {
            return rows * (dim + 1);
        }

        private int classOfRow(int r) {
            return classes == 2 ? 1 : r;
        }

        double evaluate(double[] theta, double[] grad) {
            java.util.Arrays.fill(grad, 0.0);
            double loss = 0;
            double[] logits = new double[classes];
            double[] p = new double[classes];
            for (int i = 0; i < x.length; i++) {
                double[] xi = x[i];
                java.util.Arrays.fill(logits, 0.0);
                for (int r = 0; r < rows; r++) {
                    int off = r * (dim + 1);
                    double s = theta[off + dim];
                    for (int j = 0; j < dim; j++) {
                        s += theta[off + j] * xi[j];
                    }
                    logits[classOfRow(r)] = s;
                }
                double max = Double.NEGATIVE_INFINITY;
                for (double v : logits) {
                    max = Math.max(max, v);
                }
                double sum = 0;
                for (int c = 0; c < classes; c++) {
                    p[c] = Math.exp(logits[c] - max);
                    sum += p[c];
                }
                double logSumExp = max + Math.log(sum);
                double wi = weight[i] / weightSum;
                loss += wi * (logSumExp - logits[y[i]]);
                for (int r = 0; r < rows; r++) {
                    int c = classOfRow(r);
                    double coeff = wi * (p[c] / sum - (y[i] == c ? 1.0 : 0.0));
                    int off = r * (dim + 1);
                    for (int j = 0; j < dim; j++) {
                        grad[off + j] += coeff * xi[j];
                    }
                    grad[off + dim] += coeff;
                }
            }
            for (int r = 0; r < rows; r++) {
                int off = r * (dim + 1);
                for (int j = 0; j < dim; j++) {
                    double t = theta[off + j];
                    loss += 0.5 * l2 * t * t;
                    grad[off + j] += l2 * t;
                }
            }
            return loss;
        }
    }
}
