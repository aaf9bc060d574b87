package dev.parapet.train;

import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.PooledEmbedding;

import java.util.List;

/**
 * A binary head's scores on an evaluation set and the figures reported for it: scikit-learn's
 * classification report at the head's threshold, ROC-AUC and PR-AUC (average precision).
 *
 * @param probabilities per example, as the runtime computes them (see {@link #of})
 */
public record Evaluation(ClassificationReport report, double rocAuc, double averagePrecision, double threshold,
                         double[] probabilities, int[] labels) {

    /**
     * Scores every text as the runtime's windowed scanner does when {@code windowMax} (each window
     * scored, the highest probability counts), or on the whole-text pooled embedding otherwise.
     */
    public static Evaluation of(EmbeddingHead head, List<TextEmbedding> texts, int[] y, boolean windowMax) {
        double[] p = new double[texts.size()];
        for (int i = 0; i < p.length; i++) {
            TextEmbedding t = texts.get(i);
            if (windowMax) {
                double best = Double.NEGATIVE_INFINITY;
                for (PooledEmbedding w : t.windows()) {
                    best = Math.max(best, probability(head, w, t));
                }
                p[i] = best;
            } else {
                p[i] = probability(head, t.pooled(), t);
            }
        }
        return of(head.labels(), p, y, head.threshold());
    }

    private static double probability(EmbeddingHead head, PooledEmbedding e, TextEmbedding t) {
        if (head.openingTokens() == 0) {
            return head.probability(e);
        }
        if (t.opening() == null) {
            throw new IllegalArgumentException("head '" + head.name() + "' reads openings; attach them (Workbench.withOpenings)");
        }
        return head.probability(e, t.opening());
    }

    public static Evaluation of(List<String> labelNames, double[] p, int[] y, double threshold) {
        ClassificationReport r = ClassificationReport.of(labelNames, y, Metrics.predict(p, threshold));
        return new Evaluation(r, Metrics.rocAuc(p, y), Metrics.averagePrecision(p, y), threshold, p, y);
    }

    /** F1 of the flagged class ({@code labels[1]}). */
    public double flaggedF1() {
        return report.classes().get(1).f1();
    }

    public double macroF1() {
        return report.macroAvg().f1();
    }
}
