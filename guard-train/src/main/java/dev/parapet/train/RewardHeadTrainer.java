package dev.parapet.train;

import dev.parapet.onnx.EmbeddingHead;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Fits a reward head on (prompt, chosen) / (prompt, rejected) feature rows with the pairwise
 * logistic (Bradley-Terry) loss {@code -log σ(r(chosen) - r(rejected))}. A seeded validation split
 * of prompts (all pairs of one prompt on one side) selects the candidate with the lowest
 * validation pairwise loss and calibrates it:
 *
 * <ul>
 * <li>{@code a} makes {@code σ(a·(r₁ - r₂))} a calibrated chance that response 1 beats response 2;</li>
 * <li>{@code b = -a·median(r)} over the validation responses, so {@code σ(a·r + b)} reads as the
 *     chance a response beats a typical one;</li>
 * <li>the threshold (minimum preference) is the {@code minPreferenceQuantile} quantile of that
 *     probability over the validation split's chosen responses: about that share of responses that
 *     people preferred would be flagged.</li>
 * </ul>
 */
public final class RewardHeadTrainer {

    /** Training settings. */
    public record Options(List<HeadModel> grid, double validationFraction, long seed, int threads, double minPreferenceQuantile,
                          PrintStream log) {
        public Options {
            grid = List.copyOf(grid);
            if (grid.isEmpty()) {
                throw new IllegalArgumentException("grid needs at least one candidate model");
            }
            if (!(validationFraction > 0 && validationFraction < 1)) {
                throw new IllegalArgumentException("validationFraction must be in (0, 1), got " + validationFraction);
            }
            if (!(minPreferenceQuantile >= 0 && minPreferenceQuantile < 1)) {
                throw new IllegalArgumentException("minPreferenceQuantile must be in [0, 1), got " + minPreferenceQuantile);
            }
        }

        public static Options defaults(List<HeadModel> grid) {
            return new Options(grid, 0.15, 13, 2, 0.10, null);
        }

        public Options withLog(PrintStream l) {
            return new Options(grid, validationFraction, seed, threads, minPreferenceQuantile, l);
        }

        public Options withSeed(long s) {
            return new Options(grid, validationFraction, s, threads, minPreferenceQuantile, log);
        }

        public Options withGrid(List<HeadModel> g) {
            return new Options(g, validationFraction, seed, threads, minPreferenceQuantile, log);
        }
    }

    /** How one candidate did on the validation split. */
    public record Candidate(HeadModel model, double pairwiseLoss, double pairwiseAccuracy, double seconds) {
    }

    /** A fitted, calibrated reward head. */
    public static final class Fitted {
        final Network network;
        final Standardizer standardizer;
        private final double a;
        private final double b;
        private final double threshold;
        private final HeadModel model;
        private final List<Candidate> candidates;
        private final double validationAccuracy;

        Fitted(Network network, Standardizer standardizer, double a, double b, double threshold, HeadModel model,
               List<Candidate> candidates, double validationAccuracy) {
            this.network = network;
            this.standardizer = standardizer;
            this.a = a;
            this.b = b;
            this.threshold = threshold;
            this.model = model;
            this.candidates = List.copyOf(candidates);
            this.validationAccuracy = validationAccuracy;
        }

        public double calibrationA() {
            return a;
        }

        public double calibrationB() {
            return b;
        }

        public double threshold() {
            return threshold;
        }

        public HeadModel model() {
            return model;
        }

        public List<Candidate> candidates() {
            return candidates;
        }

        public double validationAccuracy() {
            return validationAccuracy;
        }

        public List<EmbeddingHead.Dense> layers() {
            return network.toDense(standardizer);
        }

        public EmbeddingHead toHead(String name, EncoderSpec encoder, int maxLength, FeatureSpec features, List<String> labels,
                                    Map<String, Object> metadata) {
            EmbeddingHead.Builder h = EmbeddingHead.builder(name).task(EmbeddingHead.Task.REWARD).input(EmbeddingHead.Input.PAIR)
                    .encoder(encoder.name(), encoder.sha256(), maxLength)
                    .poolings(features.poolings()).normalize(features.normalize()).pairFeatures(features.pairFeatures()).taps(features.taps())
                    .calibration(a, b).labels(labels).threshold(threshold).metadata(metadata);
            layers().forEach(h::layer);
            return h.build();
        }
    }

    private RewardHeadTrainer() {
    }

    /**
     * @param chosen   pair features of (prompt, chosen)
     * @param rejected pair features of (prompt, rejected)
     * @param weights  per-pair weights, or {@code null}
     * @param groups   per-pair group (the prompt) for the split
     */
    public static Fitted fit(float[][] chosen, float[][] rejected, double[] weights, List<String> groups, Options o) {
        return fit(chosen, rejected, weights, groups, null, o);
    }

    /**
     * @param primary per pair, whether it belongs to the data the head is judged on (the validation
     *                loss, calibration and threshold use those pairs only; the others only train);
     *                {@code null} for all
     */
    public static Fitted fit(float[][] chosen, float[][] rejected, double[] weights, List<String> groups, boolean[] primary, Options o) {
        Objects.requireNonNull(chosen, "chosen");
        if (chosen.length != rejected.length || chosen.length != groups.size()) {
            throw new IllegalArgumentException("chosen, rejected and groups must have one entry per pair");
        }
        int[][] split = Splits.grouped(groups, o.validationFraction(), o.seed());
        float[][] cFit = Splits.rows(chosen, split[0]);
        float[][] rFit = Splits.rows(rejected, split[0]);
        int[] valIdx = split[1];
        if (primary != null) {
            valIdx = java.util.Arrays.stream(valIdx).filter(i -> primary[i]).toArray();
        }
        float[][] cVal = Splits.rows(chosen, valIdx);
        float[][] rVal = Splits.rows(rejected, valIdx);
        double[] wFit = weights == null ? null : Splits.doubles(weights, split[0]);
        List<String> gFit = new ArrayList<>();
        for (int i : split[0]) {
            gFit.add(groups.get(i));
        }
        float[][] both = new float[cFit.length * 2][];
        System.arraycopy(cFit, 0, both, 0, cFit.length);
        System.arraycopy(rFit, 0, both, cFit.length, rFit.length);
        Standardizer std = Standardizer.fit(both);
        float[][] scFit = std.apply(cFit);
        float[][] srFit = std.apply(rFit);
        float[][] scVal = std.apply(cVal);
        float[][] srVal = std.apply(rVal);

        GridSearch.Result<Candidate> selected = GridSearch.select(o.grid(), o.log(), "val pair loss %.4f  acc %.4f", false,
                m -> fitOne(m, scFit, srFit, wFit, gFit, o),
                net -> {
                    double[] zc = net.scores(scVal, o.threads());
                    double[] zr = net.scores(srVal, o.threads());
                    double loss = 0;
                    for (int i = 0; i < zc.length; i++) {
                        loss += Numeric.softplus(-(zc[i] - zr[i]));
                    }
                    loss /= Math.max(1, zc.length);
                    return new double[] {loss, Metrics.pairwiseAccuracy(zc, zr)};
                },
                Candidate::new);
        Network best = selected.network();
        HeadModel bestModel = selected.model();
        List<Candidate> candidates = selected.candidates();
        double[] zc = best.scores(scVal, o.threads());
        double[] zr = best.scores(srVal, o.threads());
        double[] margins = new double[zc.length];
        double[] all = new double[zc.length * 2];
        for (int i = 0; i < zc.length; i++) {
            margins[i] = zc[i] - zr[i];
            all[2 * i] = zc[i];
            all[2 * i + 1] = zr[i];
        }
        double a = Calibration.pairwiseSlope(margins);
        double b = -a * Thresholds.quantile(all, 0.5);
        double[] pChosen = new double[zc.length];
        for (int i = 0; i < zc.length; i++) {
            pChosen[i] = Numeric.sigmoid(a * zc[i] + b);
        }
        double threshold = Thresholds.quantile(pChosen, o.minPreferenceQuantile());
        return new Fitted(best, std, a, b, threshold, bestModel, candidates, Metrics.pairwiseAccuracy(zc, zr));
    }

    private static Network fitOne(HeadModel m, float[][] c, float[][] r, double[] w, List<String> groups, Options o) {
        if (m.isLinear()) {
            // a linear reward's margin is w·(x_c - x_r): logistic regression on differences, target 1, no intercept
            float[][] d = new float[c.length][];
            for (int i = 0; i < c.length; i++) {
                d[i] = new float[c[i].length];
                for (int j = 0; j < d[i].length; j++) {
                    d[i][j] = c[i][j] - r[i][j];
                }
            }
            double[] t = new double[c.length];
            java.util.Arrays.fill(t, 1.0);
            return LogisticRegression.fit(d, t, w, m.l2(), false, o.threads(), 500);
        }
        int[][] inner = Splits.grouped(groups, 0.1, o.seed() + 1);
        List<Network> members = new java.util.ArrayList<>();
        for (int k = 0; k < m.members(); k++) {
            members.add(MlpTrainer.fitPairwise(Splits.rows(c, inner[0]), Splits.rows(r, inner[0]), w == null ? null : Splits.doubles(w, inner[0]),
                    Splits.rows(c, inner[1]), Splits.rows(r, inner[1]), m.settings(o.seed() + 1000L * k, o.threads())));
        }
        return Network.average(members);
    }
}
