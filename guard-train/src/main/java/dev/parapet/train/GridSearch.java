package dev.parapet.train;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The candidate selection shared by {@link BinaryHeadTrainer} and {@link RewardHeadTrainer}: fits every
 * model of the grid in order, scores it on the validation split, logs it, and keeps the first candidate
 * with the best primary metric (strictly better only: on ties the earlier, simpler candidate stays).
 */
final class GridSearch {

    /** Validation metrics of one fitted network: {@code [primary, secondary]}; only the primary ranks. */
    interface Scorer {
        double[] score(Network network);
    }

    /** Builds the trainer's own candidate record. */
    interface CandidateFactory<C> {
        C create(HeadModel model, double primary, double secondary, double seconds);
    }

    /** The selected network and model, and every candidate in grid order. */
    record Result<C>(Network network, HeadModel model, List<C> candidates) {
    }

    private GridSearch() {
    }

    /**
     * @param metrics         log text for the two metrics, e.g. {@code "val AP %.4f  ROC-AUC %.4f"}
     * @param higherIsBetter  whether a larger primary metric is better (else smaller)
     */
    static <C> Result<C> select(List<HeadModel> grid, PrintStream log, String metrics, boolean higherIsBetter,
                                Function<HeadModel, Network> fit, Scorer scorer, CandidateFactory<C> factory) {
        String line = "  %-28s " + metrics + "  (%.1fs)%n";
        List<C> candidates = new ArrayList<>();
        Network best = null;
        HeadModel bestModel = null;
        double bestKey = Double.NEGATIVE_INFINITY;
        for (HeadModel m : grid) {
            long t0 = System.nanoTime();
            Network net = fit.apply(m);
            double[] s = scorer.score(net);
            double secs = (System.nanoTime() - t0) / 1e9;
            candidates.add(factory.create(m, s[0], s[1], secs));
            if (log != null) {
                log.printf(Locale.ROOT, line, m, s[0], s[1], secs);
            }
            double key = higherIsBetter ? s[0] : -s[0];
            if (key > bestKey) {
                bestKey = key;
                best = net;
                bestModel = m;
            }
        }
        return new Result<>(best, bestModel, candidates);
    }
}
