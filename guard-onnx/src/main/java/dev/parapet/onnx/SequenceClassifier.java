package dev.parapet.onnx;

import dev.parapet.core.ModelLoadException;
import dev.parapet.core.ParapetException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A Hugging Face-layout sequence classifier ({@code model.onnx} with a {@code logits} output,
 * {@code tokenizer.json}, {@code config.json} with {@code id2label} and {@code problem_type}) on
 * ONNX Runtime.
 *
 * <p>Texts longer than {@link #maxLength()} tokens are never cut: they are split into windows that
 * overlap by {@link #stride()} tokens, every window is scored, and the per-label scores are
 * aggregated ({@link Aggregation#MAX} by default). Every window's score and UTF-16 span stays in
 * the {@link Classification}, so a caller can say where a label fired. Pairs (e.g. prompt and
 * response) window the second text and repeat the first in each window.
 *
 * <p>Probabilities: softmax over labels for {@code single_label_classification}, an independent
 * sigmoid per label for {@code multi_label_classification}.
 *
 * <p>Thread-safe. All texts of one call are tokenized in one batch, windows are sorted by length
 * and packed into as few runs as {@link RuntimeOptions#maxBatchTokens()} allows. Built instances
 * share one ONNX session per (model file, provider, thread settings). {@link #close()} is
 * idempotent and waits for runs in flight; calls after close throw {@link IllegalStateException}.
 */
public final class SequenceClassifier implements AutoCloseable {
    private final ModelHandle handle;
    private final List<String> labels;
    private final ProblemType problemType;
    private final Aggregation aggregation;
    private final ModelSource source;

    private SequenceClassifier(Builder b, ModelConfig config) {
        this.source = b.source;
        this.labels = config.labels();
        this.problemType = b.problemType != null ? b.problemType : config.problemType();
        this.aggregation = b.aggregation;
        int maxLength = b.maxLength > 0 ? b.maxLength : Math.min(512, config.maxPositions());
        int stride = b.stride >= 0 ? b.stride : maxLength / 4;
        if (stride >= maxLength - 4) {
            throw new IllegalArgumentException("stride (" + stride + ") must be smaller than maxLength - 4 (" + (maxLength - 4) + ")");
        }
        String requested = b.outputName;
        boolean[] symbolic = new boolean[1];
        this.handle = ModelHandle.open(b.source, b.options, maxLength, stride, session -> {
            String output = chooseOutput(session, requested, config);
            symbolic[0] = session.outputShape(output)[1] <= 0;
            return output;
        });
        if (symbolic[0]) {
            probeLabelColumns();
        }
    }

    /**
     * The graph does not declare how many logits it outputs: one run on a short text finds out, so
     * a config.json whose labels do not match fails here, at load, and not as wrong scores later.
     */
    private void probeLabelColumns() {
        try {
            handle.use(() -> score(handle.tokenizer.windows(List.of("probe")), 1));
        } catch (ParapetException e) {
            handle.close();
            throw new ModelLoadException(e.getMessage(), e);
        } catch (RuntimeException e) {
            handle.close();
            throw e;
        }
    }

    private ParapetException labelMismatch(long columns) {
        return new ParapetException(source.configName().orElse("config.json") + " declares " + labels.size()
                + " labels " + labels + " but " + source.modelName() + " outputs " + columns + " logits per row");
    }

    public static Builder builder(ModelSource source) {
        return new Builder(source);
    }

    private String chooseOutput(SharedSession session, String requested, ModelConfig config) {
        String output;
        if (requested != null) {
            output = requested;
        } else if (session.outputNames().contains("logits")) {
            output = "logits";
        } else if (session.outputNames().size() == 1) {
            output = session.outputNames().iterator().next();
        } else {
            throw new ModelLoadException(source.modelName() + ": no 'logits' output and several outputs " + session.outputNames()
                    + "; name the one to read with outputName(...)");
        }
        if (!session.outputNames().contains(output)) {
            throw new ModelLoadException(source.modelName() + ": no output '" + output + "'; outputs are " + session.outputNames());
        }
        long[] shape = session.outputShape(output);
        if (shape == null || shape.length != 2) {
            throw new ModelLoadException(source.modelName() + ": output '" + output + "' must be a [batch, num_labels] tensor, found shape "
                    + java.util.Arrays.toString(shape));
        }
        if (shape[1] > 0 && shape[1] != config.labels().size()) {
            throw new ModelLoadException(source.configName().orElse("config.json") + " declares " + config.labels().size()
                    + " labels " + config.labels() + " but " + source.modelName() + " outputs " + shape[1] + " logits");
        }
        return output;
    }

    /** Scores one text. */
    public Classification classify(String text) {
        Objects.requireNonNull(text, "text");
        return classifyAll(List.of(text)).get(0);
    }

    /** Scores many texts in as few ONNX runs as the batch budget allows; results in input order. */
    public List<Classification> classifyAll(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        requireNoNulls(texts, "texts");
        if (texts.isEmpty()) {
            return handle.use(List::of);
        }
        return handle.use(() -> score(handle.tokenizer.windows(texts), texts.size()));
    }

    /** Scores a pair, e.g. (prompt, response); the second text is the one windowed and whose offsets are reported. */
    public Classification classifyPair(String first, String second) {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(second, "second");
        return classifyPairs(List.of(first), List.of(second)).get(0);
    }

    /** Scores many pairs; {@code firsts} and {@code seconds} are parallel lists. */
    public List<Classification> classifyPairs(List<String> firsts, List<String> seconds) {
        Objects.requireNonNull(firsts, "firsts");
        Objects.requireNonNull(seconds, "seconds");
        if (firsts.size() != seconds.size()) {
            throw new IllegalArgumentException("firsts and seconds must have the same size, got " + firsts.size() + " and " + seconds.size());
        }
        requireNoNulls(firsts, "firsts");
        requireNoNulls(seconds, "seconds");
        if (firsts.isEmpty()) {
            return handle.use(List::of);
        }
        return handle.use(() -> score(handle.tokenizer.pairWindows(firsts, seconds), firsts.size()));
    }

    private List<Classification> score(List<Window> windows, int count) {
        int numLabels = labels.size();
        float[][] probs = handle.runner.run(windows, (FloatBuffer out, long[] shape, int row, Window w) -> {
            if (shape.length != 2 || shape[1] != numLabels) {
                throw labelMismatch(shape.length == 2 ? shape[1] : -1);
            }
            float[] logits = new float[numLabels];
            out.get(row * numLabels, logits);
            return problemType == ProblemType.MULTI_LABEL ? sigmoid(logits) : softmax(logits);
        });
        List<List<WindowScore>> perText = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            perText.add(new ArrayList<>(1));
        }
        for (int i = 0; i < windows.size(); i++) {
            Window w = windows.get(i);
            perText.get(w.owner()).add(new WindowScore(w.index(), w.start(), w.end(), probs[i]));
        }
        List<Classification> results = new ArrayList<>(count);
        for (List<WindowScore> ws : perText) {
            results.add(Classification.of(labels, ws, aggregation));
        }
        return results;
    }

    static float[] softmax(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            e[i] = Math.exp(logits[i] - max);
            sum += e[i];
        }
        float[] p = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = (float) (e[i] / sum);
        }
        return p;
    }

    static float[] sigmoid(float[] logits) {
        float[] p = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = (float) (1.0 / (1.0 + Math.exp(-logits[i])));
        }
        return p;
    }

    private static void requireNoNulls(List<String> texts, String name) {
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new NullPointerException(name + "[" + i + "]");
            }
        }
    }

    public List<String> labels() {
        return labels;
    }

    public ProblemType problemType() {
        return problemType;
    }

    public Aggregation aggregation() {
        return aggregation;
    }

    /** Tokens per window, special tokens included. */
    public int maxLength() {
        return handle.tokenizer.maxLength();
    }

    /** Tokens shared by consecutive windows. */
    public int stride() {
        return handle.tokenizer.stride();
    }

    /** The provider the session actually runs on (CPU after a CUDA fallback). */
    public ExecutionProvider provider() {
        return handle.session.provider();
    }

    public ModelSource source() {
        return source;
    }

    /** Tokens the text takes, windows and special tokens included; what the model will read. */
    public int countTokens(String text) {
        Objects.requireNonNull(text, "text");
        return handle.use(() -> handle.tokenizer.countTokens(text));
    }

    public boolean isClosed() {
        return handle.isClosed();
    }

    @Override
    public void close() {
        handle.close();
    }

    @Override
    public String toString() {
        return "SequenceClassifier{" + source.modelName() + ", labels=" + labels + ", " + problemType + ", provider=" + provider() + '}';
    }

    /** Settings for a {@link SequenceClassifier}; each setter validates at once. */
    public static final class Builder {
        private final ModelSource source;
        private RuntimeOptions options = RuntimeOptions.defaults();
        private int maxLength = -1;
        private int stride = -1;
        private Aggregation aggregation = Aggregation.MAX;
        private ProblemType problemType;
        private String outputName;

        private Builder(ModelSource source) {
            this.source = Objects.requireNonNull(source, "source");
        }

        public Builder options(RuntimeOptions options) {
            this.options = Objects.requireNonNull(options, "options");
            return this;
        }

        /** Tokens per window (default: the model's max positions, at most 512). */
        public Builder maxLength(int tokens) {
            if (tokens < 8) {
                throw new IllegalArgumentException("maxLength must be >= 8 tokens, got " + tokens);
            }
            this.maxLength = tokens;
            return this;
        }

        /** Tokens consecutive windows share (default: a quarter of maxLength). */
        public Builder stride(int tokens) {
            if (tokens < 0) {
                throw new IllegalArgumentException("stride must be >= 0, got " + tokens);
            }
            this.stride = tokens;
            return this;
        }

        public Builder aggregation(Aggregation aggregation) {
            this.aggregation = Objects.requireNonNull(aggregation, "aggregation");
            return this;
        }

        /** Overrides config.json's problem_type. */
        public Builder problemType(ProblemType problemType) {
            this.problemType = Objects.requireNonNull(problemType, "problemType");
            return this;
        }

        /** The output to read (default: {@code logits}, or the only output). */
        public Builder outputName(String outputName) {
            this.outputName = Objects.requireNonNull(outputName, "outputName");
            return this;
        }

        /** Loads the model now: a missing or corrupt file fails here, naming it. */
        public SequenceClassifier build() {
            ModelConfig config;
            try (InputStream in = source.openConfig().orElseThrow(() -> new ModelLoadException(
                    source.modelName() + ": a classifier needs a config.json with id2label beside the model"))) {
                config = ModelConfig.read(in, source.configName().orElse("config.json"));
            } catch (IOException e) {
                throw new ModelLoadException("cannot read " + source.configName().orElse("config.json") + ": " + e.getMessage(), e);
            }
            return new SequenceClassifier(this, config);
        }
    }
}
