package dev.parapet.train;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Ranking and pairwise metrics, computed the way scikit-learn does so numbers compare with
 * Python-side evaluations: {@link #rocAuc} is the area under the ROC curve with tied scores
 * handled by the trapezoid (as {@code roc_auc_score}), {@link #averagePrecision} is the step-wise
 * area {@code Σ (Rₙ - Rₙ₋₁) Pₙ} over distinct thresholds (as {@code average_precision_score}).
 */
public final class Metrics {
    private Metrics() {
    }

    /** ROC-AUC of {@code scores} for labels {@code y} (1 = positive); NaN when one class is absent. */
    public static double rocAuc(double[] scores, int[] y) {
        Integer[] order = byScoreDescending(scores);
        long pos = Arrays.stream(y).filter(v -> v == 1).count();
        long neg = y.length - pos;
        if (pos == 0 || neg == 0) {
            return Double.NaN;
        }
        double area = 0;
        long tp = 0;
        long fp = 0;
        long prevTp = 0;
        long prevFp = 0;
        for (int k = 0; k < order.length; k++) {
            if (y[order[k]] == 1) {
                tp++;
            } else {
                fp++;
            }
            if (k + 1 == order.length || scores[order[k + 1]] != scores[order[k]]) {
                area += (fp - prevFp) * (tp + prevTp) / 2.0;
                prevTp = tp;
                prevFp = fp;
            }
        }
        return area / (pos * (double) neg);
    }

    /** Average precision (area under the precision-recall curve, step-wise) of the positive class. */
    public static double averagePrecision(double[] scores, int[] y) {
        Integer[] order = byScoreDescending(scores);
        long pos = Arrays.stream(y).filter(v -> v == 1).count();
        if (pos == 0) {
            return Double.NaN;
        }
        double ap = 0;
        long tp = 0;
        long seen = 0;
        double prevRecall = 0;
        for (int k = 0; k < order.length; k++) {
            seen++;
            tp += y[order[k]];
            if (k + 1 == order.length || scores[order[k + 1]] != scores[order[k]]) {
                double recall = (double) tp / pos;
                ap += (recall - prevRecall) * ((double) tp / seen);
                prevRecall = recall;
            }
        }
        return ap;
    }

    /** Share of pairs whose first score is higher; ties count one half. */
    public static double pairwiseAccuracy(double[] chosen, double[] rejected) {
        if (chosen.length != rejected.length) {
            throw new IllegalArgumentException("chosen has " + chosen.length + " scores, rejected " + rejected.length);
        }
        double wins = 0;
        for (int i = 0; i < chosen.length; i++) {
            wins += chosen[i] > rejected[i] ? 1.0 : chosen[i] == rejected[i] ? 0.5 : 0.0;
        }
        return wins / chosen.length;
    }

    /** Predictions {@code p >= threshold ? 1 : 0}. */
    public static int[] predict(double[] p, double threshold) {
        int[] out = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = p[i] >= threshold ? 1 : 0;
        }
        return out;
    }

    /**
     * Confusion matrix {@code [true][predicted]} over labels {@code 0..k-1}, scikit-learn's layout.
     */
    public static long[][] confusionMatrix(int[] yTrue, int[] yPred, int k) {
        long[][] m = new long[k][k];
        for (int i = 0; i < yTrue.length; i++) {
            m[yTrue[i]][yPred[i]]++;
        }
        return m;
    }

    private static Integer[] byScoreDescending(double[] scores) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i));
        return order;
    }
}
