package dev.parapet.train;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Seeded train/validation splits carved from training data (never from the data reported). */
final class Splits {
    private Splits() {
    }

    /** Indices of a validation split of {@code fraction} of each class; the rest are the fit split. */
    static int[][] stratified(int[] y, double fraction, long seed) {
        List<Integer> fit = new ArrayList<>();
        List<Integer> val = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int label = 0; label <= 1; label++) {
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < y.length; i++) {
                if (y[i] == label) {
                    idx.add(i);
                }
            }
            shuffle(idx, rnd);
            int nVal = (int) Math.round(idx.size() * fraction);
            val.addAll(idx.subList(0, nVal));
            fit.addAll(idx.subList(nVal, idx.size()));
        }
        fit.sort(null);
        val.sort(null);
        return new int[][] {toArray(fit), toArray(val)};
    }

    /**
     * Stratified split of the original rows ({@code source[i] == i}); derived rows join the fit split
     * with their source, or are dropped when their source is held out; rows with a negative source
     * (borrowed from elsewhere) always join the fit split.
     */
    static int[][] derived(int[] y, int[] source, double fraction, long seed) {
        List<Integer> originals = new ArrayList<>();
        for (int i = 0; i < y.length; i++) {
            if (source[i] == i) {
                originals.add(i);
            }
        }
        int[] yo = new int[originals.size()];
        for (int k = 0; k < yo.length; k++) {
            yo[k] = y[originals.get(k)];
        }
        int[][] s = stratified(yo, fraction, seed);
        boolean[] held = new boolean[y.length];
        for (int k : s[1]) {
            held[originals.get(k)] = true;
        }
        List<Integer> fit = new ArrayList<>();
        List<Integer> val = new ArrayList<>();
        for (int i = 0; i < y.length; i++) {
            if (source[i] == i) {
                (held[i] ? val : fit).add(i);
            } else if (source[i] < 0 || !held[source[i]]) {
                // source < 0: borrowed rows with no original here, fit split only
                fit.add(i);
            }
        }
        return new int[][] {toArray(fit), toArray(val)};
    }

    /** A split that keeps all items of one group (e.g. one prompt) on the same side. */
    static int[][] grouped(List<String> groups, double fraction, long seed) {
        Map<String, Integer> ids = new HashMap<>();
        List<String> unique = new ArrayList<>();
        for (String g : groups) {
            if (ids.putIfAbsent(g, unique.size()) == null) {
                unique.add(g);
            }
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < unique.size(); i++) {
            order.add(i);
        }
        shuffle(order, new SplittableRandom(seed));
        int nVal = (int) Math.round(unique.size() * fraction);
        boolean[] isVal = new boolean[unique.size()];
        for (int k = 0; k < nVal; k++) {
            isVal[order.get(k)] = true;
        }
        List<Integer> fit = new ArrayList<>();
        List<Integer> val = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            (isVal[ids.get(groups.get(i))] ? val : fit).add(i);
        }
        return new int[][] {toArray(fit), toArray(val)};
    }

    static void shuffle(List<Integer> list, SplittableRandom rnd) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            Integer t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }

    static int[] toArray(List<Integer> list) {
        return list.stream().mapToInt(Integer::intValue).toArray();
    }

    static float[][] rows(float[][] x, int[] idx) {
        float[][] out = new float[idx.length][];
        for (int i = 0; i < idx.length; i++) {
            out[i] = x[idx[i]];
        }
        return out;
    }

    static int[] ints(int[] y, int[] idx) {
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = y[idx[i]];
        }
        return out;
    }

    static double[] doubles(double[] y, int[] idx) {
        double[] out = new double[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = y[idx[i]];
        }
        return out;
    }
}
