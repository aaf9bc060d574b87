package dev.parapet.export;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * A linear classification head: {@code logits = weights · x + bias}, softmax over the labels.
 *
 * <p>The arrays are copied on the way in and on the way out, so an instance is immutable and
 * {@link #equals(Object)} compares contents.
 *
 * @param weights one row per label, each of the feature dimension: {@code [numLabels][dimension]}
 * @param bias    one entry per label
 * @param labels  the label names in id order (the {@code id2label} order of an exported model)
 */
public record LinearHead(float[][] weights, float[] bias, List<String> labels) {

    public LinearHead {
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(bias, "bias");
        Objects.requireNonNull(labels, "labels");
        if (weights.length == 0) {
            throw new IllegalArgumentException("weights must have at least one row (one per label)");
        }
        int dim = -1;
        float[][] copy = new float[weights.length][];
        for (int r = 0; r < weights.length; r++) {
            if (weights[r] == null || weights[r].length == 0) {
                throw new IllegalArgumentException("weights row " + r + " is null or empty");
            }
            if (dim >= 0 && weights[r].length != dim) {
                throw new IllegalArgumentException("weights rows differ in length: row 0 has " + dim
                        + " columns, row " + r + " has " + weights[r].length);
            }
            dim = weights[r].length;
            copy[r] = weights[r].clone();
        }
        if (bias.length != weights.length) {
            throw new IllegalArgumentException("bias has " + bias.length + " entries but weights has "
                    + weights.length + " rows (one per label)");
        }
        if (labels.size() != weights.length) {
            throw new IllegalArgumentException("labels has " + labels.size() + " entries but weights has "
                    + weights.length + " rows (one per label)");
        }
        if (new HashSet<>(labels).size() != labels.size()) {
            throw new IllegalArgumentException("labels must be unique, got " + labels);
        }
        weights = copy;
        bias = bias.clone();
        labels = List.copyOf(labels);
    }

    @Override
    public float[][] weights() {
        float[][] copy = new float[weights.length][];
        for (int r = 0; r < weights.length; r++) {
            copy[r] = weights[r].clone();
        }
        return copy;
    }

    @Override
    public float[] bias() {
        return bias.clone();
    }

    /** Number of labels (rows of {@link #weights()}). */
    public int numLabels() {
        return weights.length;
    }

    /** Feature dimension the head expects. */
    public int dimension() {
        return weights[0].length;
    }

    /** Raw scores, one per label, computed in double precision and rounded once. */
    public float[] logits(float[] x) {
        Objects.requireNonNull(x, "x");
        if (x.length != dimension()) {
            throw new IllegalArgumentException("x has " + x.length + " features, the head expects " + dimension());
        }
        float[] out = new float[weights.length];
        for (int r = 0; r < weights.length; r++) {
            double s = bias[r];
            float[] w = weights[r];
            for (int j = 0; j < w.length; j++) {
                s += (double) w[j] * x[j];
            }
            out[r] = (float) s;
        }
        return out;
    }

    /** Softmax of {@link #logits(float[])}. */
    public float[] probabilities(float[] x) {
        float[] z = logits(x);
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            e[i] = Math.exp(z[i] - max);
            sum += e[i];
        }
        float[] p = new float[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = (float) (e[i] / sum);
        }
        return p;
    }

    /** Index of the highest logit (first one on ties). */
    public int predict(float[] x) {
        float[] z = logits(x);
        int best = 0;
        for (int i = 1; i < z.length; i++) {
            if (z[i] > z[best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LinearHead other
                && Arrays.deepEquals(weights, other.weights)
                && Arrays.equals(bias, other.bias)
                && labels.equals(other.labels);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.deepHashCode(weights), Arrays.hashCode(bias), labels);
    }

    @Override
    public String toString() {
        return "LinearHead[labels=" + labels + ", dimension=" + dimension() + "]";
    }
}
