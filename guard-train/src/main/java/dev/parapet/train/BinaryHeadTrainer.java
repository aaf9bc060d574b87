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
                          boolean classWeights, PrintStream log, boolean macroF1Threshold) {
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

        public Options(List<HeadModel> grid, double validationFraction, long seed, int threads, double precisionTarget,
                       boolean classWeights, PrintStream log) {
            this(grid, validationFraction, seed, threads, precisionTarget, classWeights, log, false);
        }

        /** Threshold at the highest validation macro-F1 (both classes) instead of the flagged class's F1. */
        public Options withMacroF1Threshold(boolean m) {
            return new Options(grid, validationFraction, seed, threads, precisionTarget, classWeights, log, m);
        }

        public static Options defaults(List<HeadModel> grid) {
            return new Options(grid, 0.15, 13, 2, Double.NaN, true, null);
        }

        public Options withSeed(long s) {
            return new Options(grid, validationFraction, s, threads, precisionTarget, classWeights, log, macroF1Threshold);
        }

        public Options withLog(PrintStream l) {
            return new Options(grid, validationFraction, seed, threads, precisionTarget, classWeights, l, macroF1Threshold);
        }

        public Options withPrecisionTarget(double target) {
            return new Options(grid, validationFraction, seed, threads, target, classWeights, log, macroF1Threshold);
        }

        public Options withGrid(List<HeadModel> g) {
            return new Options(g, validationFraction, seed, threads, precisionTarget, classWeights, log, macroF1Threshold);
        }

        public Options withClassWeights(boolean c) {
            return new Options(grid, validationFraction, seed, threads, precisionTarget, c, log, macroF1Threshold);
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
        private int[] validationIndex = new int[0];
        private double[] validationProbabilities = new double[0];
        private int[] validationLabels = new int[0];

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

        /** Indices (into the training rows) of the validation split, aligned with {@link #validationProbabilities()}. */
        public int[] validationIndex() {
            return validationIndex.clone();
        }

        /** Labels of the validation rows. */
        public int[] validationLabels() {
            return validationLabels.clone();
        }

        /** Calibrated probabilities of the validation rows, as the threshold was chosen on them. */
        public double[] validationProbabilities() {
            return validationProbabilities.clone();
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
                    .opening(features.openingTokens(), features.openingPoolings()).taps(features.taps()).lexicon(features.lexicon())
                    .calibration(calibration.a(), calibration.b()).labels(labels).threshold(threshold).metadata(metadata);
            layers().forEach(b::layer);
            return b.build();
        }
    }

    private BinaryHeadTrainer() {
    }

    /**
     * Class weights balanced within each group (e.g. each data source): row weight {@code n_g / (2 n_{g,y})}, so every
     * source keeps its share of the total weight but its two labels weigh the same. A source whose rows are mostly one
     * label then cannot teach the head its style as a label shortcut. {@code groups == null}: {@link #classWeights(int[], boolean)}.
     */
    static double[] groupBalancedWeights(int[] y, int[] groups) {
        java.util.Map<Integer, int[]> counts = new java.util.HashMap<>();
        for (int i = 0; i < y.length; i++) {
            counts.computeIfAbsent(groups[i], k -> new int[2])[y[i]]++;
        }
        double[] c = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            int[] n = counts.get(groups[i]);
            c[i] = (n[0] + n[1]) / (2.0 * Math.max(1, n[y[i]]));
        }
        return c;
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
        return fit(x, y, source, null, o);
    }

    /**
     * As {@link #fit(float[][], int[], int[], Options)} with {@code groups[i]} the data source of row {@code i}: the
     * fit rows' class weights are balanced within each source ({@link #groupBalancedWeights}); {@code null} for the
     * usual balanced weights over all rows.
     */
    public static Fitted fit(float[][] x, int[] y, int[] source, int[] groups, Options o) {
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
        double[] cFit = groups == null || !o.classWeights() ? classWeights(yFit, o.classWeights())
                : groupBalancedWeights(yFit, Splits.ints(groups, split[0]));

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
        double threshold = !Double.isNaN(o.precisionTarget()) ? Thresholds.forPrecision(pVal, yVal, o.precisionTarget())
                : o.macroF1Threshold() ? Thresholds.maxMacroF1(pVal, yVal) : Thresholds.maxF1(pVal, yVal);
        Fitted f = new Fitted(best, std, cal, threshold, bestModel, candidates, xFit.length, xVal.length);
        f.validationIndex = split[1].clone();
        f.validationProbabilities = pVal;
        f.validationLabels = yVal.clone();
        return f;
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
        List<Network> members = new java.util.ArrayList<>();
        for (int k = 0; k < m.members(); k++) {
            // member k: its own initialisation and batch order (seed + 1000 k); member 0 is the single model's fit
            members.add(MlpTrainer.fitBinary(Splits.rows(sFit, inner[0]), Splits.ints(yFit, inner[0]), Splits.doubles(cFit, inner[0]),
                    Splits.rows(sFit, inner[1]), Splits.ints(yFit, inner[1]), Splits.doubles(cFit, inner[1]),
                    m.settings(o.seed() + 1000L * k, o.threads())));
        }
        return Network.average(members);
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
