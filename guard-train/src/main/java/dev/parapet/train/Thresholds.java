package dev.parapet.train;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Decision thresholds on probabilities of the flagged class (flag when {@code p >= threshold}),
 * chosen on a validation split, never on the data reported.
 */
public final class Thresholds {
    private Thresholds() {
    }

    /**
     * The threshold with the highest F1 of the flagged class. The cut is placed halfway between the
     * lowest flagged and the highest unflagged validation probability, so it does not sit on a
     * validation point.
     */
    public static double maxF1(double[] p, int[] y) {
        return sweep(p, y, Double.NaN);
    }

    /**
     * The lowest threshold whose precision on the flagged class reaches {@code precisionTarget}
     * (the most recall at that precision); the max-F1 threshold when no cut reaches the target.
     */
    public static double forPrecision(double[] p, int[] y, double precisionTarget) {
        if (!(precisionTarget > 0 && precisionTarget <= 1)) {
            throw new IllegalArgumentException("precisionTarget must be in (0, 1], got " + precisionTarget);
        }
        return sweep(p, y, precisionTarget);
    }

    private static double sweep(double[] p, int[] y, double precisionTarget) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -p[i]).thenComparingInt(i -> i));
        int positives = 0;
        for (int v : y) {
            positives += v;
        }
        int tp = 0;
        int flagged = 0;
        double bestF1 = -1;
        int bestCut = -1;
        int precisionCut = -1;
        for (int k = 0; k < order.length; k++) {
            flagged++;
            tp += y[order[k]];
            // only cut between distinct probabilities: tied scores are flagged together
            if (k + 1 < order.length && p[order[k + 1]] == p[order[k]]) {
                continue;
            }
            double precision = (double) tp / flagged;
            double recall = positives == 0 ? 0 : (double) tp / positives;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            if (f1 > bestF1) {
                bestF1 = f1;
                bestCut = k;
            }
            if (!Double.isNaN(precisionTarget) && precision >= precisionTarget) {
                precisionCut = k;
            }
        }
        int cut = precisionCut >= 0 ? precisionCut : bestCut;
        double low = p[order[cut]];
        double next = cut + 1 < order.length ? p[order[cut + 1]] : 0.0;
        return (low + next) / 2;
    }

    /**
     * The threshold with the highest macro-F1 (mean of both classes' F1), cut as in {@link #maxF1}: for a task whose
     * figure of merit is macro-F1 rather than the flagged class's F1.
     */
    public static double maxMacroF1(double[] p, int[] y) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -p[i]).thenComparingInt(i -> i));
        int positives = 0;
        for (int v : y) {
            positives += v;
        }
        int negatives = y.length - positives;
        int tp = 0;
        int flagged = 0;
        double best = -1;
        int bestCut = 0;
        for (int k = 0; k < order.length; k++) {
            flagged++;
            tp += y[order[k]];
            if (k + 1 < order.length && p[order[k + 1]] == p[order[k]]) {
                continue;
            }
            int fp = flagged - tp;
            int fn = positives - tp;
            int tn = negatives - fp;
            double f1Pos = 2.0 * tp + fp + fn == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
            double f1Neg = 2.0 * tn + fp + fn == 0 ? 0 : 2.0 * tn / (2.0 * tn + fp + fn);
            double macro = (f1Pos + f1Neg) / 2;
            if (macro > best) {
                best = macro;
                bestCut = k;
            }
        }
        double low = p[order[bestCut]];
        double next = bestCut + 1 < order.length ? p[order[bestCut + 1]] : 0.0;
        return (low + next) / 2;
    }

    /** The {@code q}-quantile (0..1) of {@code values}, linear between order statistics. */
    public static double quantile(double[] values, double q) {
        double[] s = values.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(s.length - 1, lo + 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }
}
