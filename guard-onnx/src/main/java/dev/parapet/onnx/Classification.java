package dev.parapet.onnx;

import java.util.List;
import java.util.NoSuchElementException;

/**
 * A classifier's answer for one text (or pair): per-label probabilities aggregated over the text's
 * windows, and every window's own scores so callers can say where a label fired.
 */
public final class Classification {
    private final List<String> labels;
    private final float[] probabilities;
    private final List<WindowScore> windows;
    private final Aggregation aggregation;

    Classification(List<String> labels, float[] probabilities, List<WindowScore> windows, Aggregation aggregation) {
        this.labels = labels;
        this.probabilities = probabilities;
        this.windows = List.copyOf(windows);
        this.aggregation = aggregation;
    }

    /**
     * A classification from window scores computed elsewhere (e.g. sentence by sentence),
     * aggregated the same way the classifier aggregates windows.
     */
    public static Classification of(List<String> labels, List<WindowScore> windows, Aggregation aggregation) {
        if (windows.isEmpty()) {
            throw new IllegalArgumentException("a classification needs at least one window");
        }
        int n = labels.size();
        float[] agg = new float[n];
        if (aggregation == Aggregation.MAX) {
            java.util.Arrays.fill(agg, Float.NEGATIVE_INFINITY);
        }
        for (WindowScore w : windows) {
            for (int l = 0; l < n; l++) {
                float p = w.probability(l);
                agg[l] = aggregation == Aggregation.MAX ? Math.max(agg[l], p) : agg[l] + p / windows.size();
            }
        }
        return new Classification(List.copyOf(labels), agg, windows, aggregation);
    }

    public List<String> labels() {
        return labels;
    }

    /** Aggregated probability per label, in {@link #labels()} order. */
    public float[] probabilities() {
        return probabilities.clone();
    }

    public float probability(String label) {
        return probabilities[indexOf(label)];
    }

    public float probability(int labelIndex) {
        return probabilities[labelIndex];
    }

    /** The label with the highest aggregated probability. */
    public String topLabel() {
        int best = 0;
        for (int i = 1; i < probabilities.length; i++) {
            if (probabilities[i] > probabilities[best]) {
                best = i;
            }
        }
        return labels.get(best);
    }

    /** All windows of the text, in text order; one for texts that fit the model's window. */
    public List<WindowScore> windows() {
        return windows;
    }

    /** The window that gave {@code label} its highest probability: where it fired. */
    public WindowScore winningWindow(String label) {
        int l = indexOf(label);
        WindowScore best = windows.get(0);
        for (WindowScore w : windows) {
            if (w.probability(l) > best.probability(l)) {
                best = w;
            }
        }
        return best;
    }

    public Aggregation aggregation() {
        return aggregation;
    }

    private int indexOf(String label) {
        int i = labels.indexOf(label);
        if (i < 0) {
            throw new NoSuchElementException("no label '" + label + "'; the model's labels are " + labels);
        }
        return i;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Classification{");
        for (int i = 0; i < labels.size(); i++) {
            s.append(i == 0 ? "" : ", ").append(labels.get(i)).append('=').append(String.format(java.util.Locale.ROOT, "%.4f", probabilities[i]));
        }
        return s.append(", windows=").append(windows.size()).append('}').toString();
    }
}
