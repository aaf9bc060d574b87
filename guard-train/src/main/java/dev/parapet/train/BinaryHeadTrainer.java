package dev.parapet.train;

import dev.parapet.onnx.EmbeddingHead;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Fits a binary head on feature rows: carves a seeded, stratified validation split from the
 * training rows, fits every candidate {@link HeadModel} on the rest (balanced class weights by
 * default), keeps the candidate with the best validation average precision, calibrates it with
 * Platt scaling on the validation split and picks the threshold there (max F1 of the flagged class,
 * or the lowest threshold reaching a precision target). Nothing here sees evaluation data.
 */
public final class BinaryHeadTrainer {

    /** Training settings; immutable, {@code with...} methods return copies. */
    public record Options(List<HeadModel> grid, double validationFraction, long seed, int threads, double precisionTarget,
                          boolean classWeights, PrintStream log) {
        public Options {
            grid = List.copyOf(grid);
            if (grid.isEmpty()) {
                throw new IllegalArgumentException("grid needs at least one candidate model");
            }
            if (!(validationFraction > 0 && validationFraction < 1)) {
                throw new IllegalArgumentException("validationFraction must be in (0, 1), got " + validationFraction);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            }
        }

        public static Options defaults(List<HeadModel> grid) {
            return new Options(grid, 0.15, 13, 2, Double.NaN, true, null);
        }

        public Options withSeed(long s) {
            return new Options(grid, validationFraction, s, threads, precisionTarget, classWeights, log);
        }

        public Options withLog(PrintStream l) {
            return new Options(grid, validationFraction, seed, threads, precisionTarget, classWeights, l);
        }

        public Options withPrecisionTarget(double target) {
            return new Options(grid, validationFraction, seed, threads, target, classWeights, log);
        }

        public Options withGrid(List<HeadModel> g) {
            return new Options(g, validationFraction, seed, threads, precisionTarget, classWeights, log);
        }

        public Options withClassWeights(boolean c) {
            return new Options(grid, validationFraction, seed, threads, precisionTarget, c, log);
        }
    }

    /** How one candidate did on the validation split. */
    public record Candidate(HeadModel model, double averagePrecision, double rocAuc, double seconds) {
    }

    /** A fitted, calibrated head before it is given a name and encoder. */
    public static final class Fitted {
        final Network network;
        final Standardizer standardizer;
        private final Calibration calibration;
        private final double threshold;
        private final HeadModel model;
        private final List<Candidate> candidates;
        private final int fitRows;
        private final int validationRows;

        Fitted(Network network, Standardizer standardizer, Calibration calibration, double threshold, HeadModel model,
               List<Candidate> candidates, int fitRows, int validationRows) {
            this.network = network;
            this.standardizer = standardizer;
            this.calibration = calibration;
            this.threshold = threshold;
            this.model = model;
            this.candidates = List.copyOf(candidates);
            this.fitRows = fitRows;
            this.validationRows = validationRows;
        }

        public Calibration calibration() {
            return calibration;
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

        public int fitRows() {
            return fitRows;
        }

        public int validationRows() {
            return validationRows;
        }

        /** Dense layers with standardisation folded into the first one. */
        public List<EmbeddingHead.Dense> layers() {
            return network.toDense(standardizer);
        }

        /** A head with these weights; {@code metadata} is stored as given. */
        public EmbeddingHead toHead(String name, EncoderSpec encoder, int maxLength, FeatureSpec features, List<String> labels,
                                    Map<String, Object> metadata) {
            EmbeddingHead.Builder b = EmbeddingHead.builder(name).task(EmbeddingHead.Task.BINARY).input(EmbeddingHead.Input.TEXT)
                    .encoder(encoder.name(), encoder.sha256(), maxLength)
                    .poolings(features.poolings()).normalize(features.normalize())
                    .calibration(calibration.a(), calibration.b()).labels(labels).threshold(threshold).metadata(metadata);
            layers().forEach(b::layer);
            return b.build();
        }
    }

    private BinaryHeadTrainer() {
    }

    /** Balanced class weights {@code n / (2 n_y)}, or 1 everywhere. */
    static double[] classWeights(int[] y, boolean balanced) {
        double[] c = new double[y.length];
        int pos = 0;
        for (int v : y) {
            pos += v;
        }
        int neg = y.length - pos;
        for (int i = 0; i < y.length; i++) {
            c[i] = !balanced ? 1.0 : y[i] == 1 ? y.length / (2.0 * Math.max(1, pos)) : y.length / (2.0 * Math.max(1, neg));
        }
        return c;
    }

    /** Fits, selects, calibrates and thresholds; see the class comment. */
    public static Fitted fit(float[][] x, int[] y, Options o) {
        return fit(x, y, null, o);
    }

    /**
     * As {@link #fit(float[][], int[], Options)} for rows of which some are derived from others
     * (augmentation, windows of one text): {@code source[i]} is the index of the original row that
     * row {@code i} comes from ({@code source[i] == i} for originals). The validation split is drawn
     * from originals; derived rows follow their source into the fit split and are dropped when their
     * source is in the validation split, which stays un-augmented.
     */
    public static Fitted fit(float[][] x, int[] y, int[] source, Options o) {
        Objects.requireNonNull(x, "x");
        if (x.length != y.length) {
            throw new IllegalArgumentException(x.length + " rows but " + y.length + " labels");
        }
        int[][] split = source == null ? Splits.stratified(y, o.validationFraction(), o.seed())
                : Splits.derived(y, source, o.validationFraction(), o.seed());
        float[][] xFit = Splits.rows(x, split[0]);
        int[] yFit = Splits.ints(y, split[0]);
        float[][] xVal = Splits.rows(x, split[1]);
        int[] yVal = Splits.ints(y, split[1]);
        Standardizer std = Standardizer.fit(xFit);
        float[][] sFit = std.apply(xFit);
        float[][] sVal = std.apply(xVal);
        double[] cFit = classWeights(yFit, o.classWeights());

        GridSearch.Result<Candidate> selected = GridSearch.select(o.grid(), o.log(), "val AP %.4f  ROC-AUC %.4f", true,
                m -> fitOne(m, sFit, yFit, cFit, o),
                net -> {
                    double[] z = net.scores(sVal, o.threads());
                    return new double[] {Metrics.averagePrecision(z, yVal), Metrics.rocAuc(z, yVal)};
                },
                Candidate::new);
        Network best = selected.network();
        HeadModel bestModel = selected.model();
        List<Candidate> candidates = selected.candidates();
        double[] zVal = best.scores(sVal, o.threads());
        Calibration cal = Calibration.platt(zVal, yVal);
        double[] pVal = new double[zVal.length];
        for (int i = 0; i < pVal.length; i++) {
            // the head computes the same in float layers then double calibration
            pVal[i] = cal.apply(zVal[i]);
        }
        double threshold = Double.isNaN(o.precisionTarget()) ? Thresholds.maxF1(pVal, yVal)
                : Thresholds.forPrecision(pVal, yVal, o.precisionTarget());
        return new Fitted(best, std, cal, threshold, bestModel, candidates, xFit.length, xVal.length);
    }

    static Network fitOne(HeadModel m, float[][] sFit, int[] yFit, double[] cFit, Options o) {
        if (m.isLinear()) {
            double[] t = new double[yFit.length];
            for (int i = 0; i < t.length; i++) {
                t[i] = yFit[i];
            }
            return LogisticRegression.fit(sFit, t, cFit, m.l2(), true, o.threads(), 500);
        }
        // early stopping watches a split of the fit rows, so the validation split stays unseen until selection
        int[][] inner = Splits.stratified(yFit, 0.1, o.seed() + 1);
        return MlpTrainer.fitBinary(Splits.rows(sFit, inner[0]), Splits.ints(yFit, inner[0]), Splits.doubles(cFit, inner[0]),
                Splits.rows(sFit, inner[1]), Splits.ints(yFit, inner[1]), Splits.doubles(cFit, inner[1]),
                m.settings(o.seed(), o.threads()));
    }

    /** The candidates as a small table for logs and reports. */
    static Map<String, Object> describe(Fitted f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", f.model().toString());
        m.put("fit_rows", f.fitRows());
        m.put("validation_rows", f.validationRows());
        return m;
    }
}
