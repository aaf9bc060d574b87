package dev.parapet.onnx;

import dev.parapet.core.ModelLoadException;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Objects;

/**
 * A sentence encoder on ONNX Runtime: token vectors ({@code last_hidden_state} by default) pooled
 * into one vector per text ({@link Pooling#MEAN} over the attention mask, or {@link Pooling#CLS}),
 * optionally L2-normalised.
 *
 * <p>A text longer than {@link #maxLength()} tokens is encoded in overlapping windows and its
 * vector is the mean of the window vectors (before normalisation), so nothing is silently cut.
 * Thread-safe; shares its ONNX session with every other user of the same model file.
 *
 * <p>The LangChain4j embedding jars carry encoders usable here, e.g.
 * {@code ModelSource.classpath(loader, "all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json", null)}.
 */
public final class TextEncoder implements AutoCloseable {
    /** Windows for encoders are 256 tokens unless set: sentence-transformers' MiniLM limit. */
    public static final int DEFAULT_MAX_LENGTH = 256;

    private final ModelHandle handle;
    private final Pooling pooling;
    private final boolean normalize;
    private final ModelSource source;
    private final int dimension;
    /** Intermediate outputs pooled beside the main one, in request order (the main output excluded). */
    private final List<String> taps;
    /** Coalesces concurrent calls when {@link RuntimeOptions#microBatching()}; else null. */
    private final MicroBatcher<String, EncodedText> batcher;

    private TextEncoder(Builder b) {
        this.source = b.source;
        this.pooling = b.pooling;
        this.normalize = b.normalize;
        int maxLength = b.maxLength;
        int stride = b.stride >= 0 ? b.stride : maxLength / 4;
        if (stride >= maxLength - 4) {
            throw new IllegalArgumentException("stride (" + stride + ") must be smaller than maxLength - 4 (" + (maxLength - 4) + ")");
        }
        int[] dim = new int[1];
        String requested = b.outputName;
        String[] main = new String[1];
        this.handle = ModelHandle.open(b.source, b.options, maxLength, stride, b.taps, session -> {
            String out = requested != null ? requested
                    : session.outputNames().contains("last_hidden_state") ? "last_hidden_state"
                    : session.outputNames().iterator().next();
            main[0] = out;
            long[] shape = session.outputShape(out);
            if (shape != null && shape.length == 3 && shape[2] <= 0 && b.taps.contains(out)) {
                // an exposed intermediate output is declared with symbolic dimensions: a transformer's
                // residual stream has one width, so its hidden size is that of the graph's own output
                long[] own = session.outputShape(session.outputNames().stream().filter(n -> !b.taps.contains(n)).findFirst().orElse(out));
                if (own != null && own.length == 3) {
                    shape = new long[]{shape[0], shape[1], own[2]};
                }
            }
            if (shape == null || shape.length != 3 || shape[2] <= 0) {
                throw new ModelLoadException(b.source.modelName() + ": output '" + out + "' must be [batch, tokens, hidden] with a static "
                        + "hidden size, found " + java.util.Arrays.toString(shape) + " (outputs: " + session.outputNames() + ")");
            }
            dim[0] = (int) shape[2];
            return out;
        });
        this.dimension = dim[0];
        this.taps = b.taps.stream().filter(t -> !t.equals(main[0])).toList();
        RuntimeOptions o = b.options;
        this.batcher = !o.microBatching() ? null
                : MicroBatcher.<String, EncodedText>builder(texts -> handle.use(() -> windowsAll(texts)))
                .name("micro-batcher of " + b.source.modelName())
                .maxWait(o.microBatchWait()).maxBatch(o.maxBatchSize()).lanes(o.microBatchLanes()).build();
    }

    public static Builder builder(ModelSource source) {
        return new Builder(source);
    }

    public float[] embed(String text) {
        Objects.requireNonNull(text, "text");
        return embedAll(List.of(text))[0];
    }

    /** One vector per text, in input order, from as few ONNX runs as the batch budget allows. */
    public float[][] embedAll(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new NullPointerException("texts[" + i + "]");
            }
        }
        return encode(texts);
    }

    /**
     * Mean, CLS and max pooling of every text from one encoder pass each, un-normalised; in input
     * order. This is what heads read, so that several heads cost one encoder run.
     */
    public List<PooledEmbedding> encodeAll(List<String> texts) {
        List<EncodedText> encoded = encodeWindows(texts);
        List<PooledEmbedding> out = new java.util.ArrayList<>(encoded.size());
        for (EncodedText e : encoded) {
            out.add(e.pooled());
        }
        return out;
    }

    /**
     * Every text's windows with their poolings and spans, plus the whole-text pooling; in input
     * order, from as few ONNX runs as the batch budget allows. Heads that must say where a label
     * fired score each window; heads that judge a text as a whole read {@link EncodedText#pooled()}.
     */
    public List<EncodedText> encodeWindows(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new NullPointerException("texts[" + i + "]");
            }
        }
        return windows(texts);
    }

    /**
     * The token ids of each window of each text ({@link PooledEmbedding#pieces()}), exactly as
     * {@link #encodeWindows} cuts them, special tokens included; tokenizes only, runs no model. For
     * training heads that read a lexicon ({@link EmbeddingHead#lexicon()}) on cached embeddings.
     */
    public List<List<int[]>> windowPieces(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new NullPointerException("texts[" + i + "]");
            }
        }
        if (texts.isEmpty()) {
            return List.of();
        }
        return handle.use(() -> {
            List<List<int[]>> out = new java.util.ArrayList<>(texts.size());
            for (int t = 0; t < texts.size(); t++) {
                out.add(new java.util.ArrayList<>(1));
            }
            for (Window w : handle.tokenizer.windows(texts)) {
                out.get(w.owner()).add(pieces(w.ids()));
            }
            return out;
        });
    }

    /**
     * The poolings of each text's <em>opening</em>: its first {@code tokens} tokens (special tokens
     * included) encoded on their own, in input order. The opening is the first window cut to
     * {@code tokens - 1} tokens plus the window's last token (for BERT-style tokenizers
     * {@code [CLS] w1 ... [SEP]}), which is exactly the first window an encoder with
     * {@code maxLength(tokens)} would make; a text of at most {@code tokens} tokens is its own
     * opening. Only a prefix of a long text is tokenized (cut at whitespace, so the first tokens are
     * those of the whole text). Heads that read openings ({@link EmbeddingHead#openingTokens()})
     * are trained on exactly this.
     *
     * @param tokens 3 to {@link #maxLength()}
     */
    public List<PooledEmbedding> encodeOpenings(List<String> texts, int tokens) {
        Objects.requireNonNull(texts, "texts");
        if (tokens < 3 || tokens > maxLength()) {
            throw new IllegalArgumentException("opening tokens must be in [3, " + maxLength() + "], got " + tokens);
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new NullPointerException("texts[" + i + "]");
            }
        }
        if (texts.isEmpty()) {
            return List.of();
        }
        return handle.use(() -> openingsAll(texts, tokens));
    }

    private List<PooledEmbedding> openingsAll(List<String> texts, int tokens) {
        List<Window> firsts = new java.util.ArrayList<>(texts.size());
        for (int t = 0; t < texts.size(); t++) {
            firsts.add(openingWindow(texts.get(t), t, tokens));
        }
        float[][] rows = runPooled(firsts);
        List<PooledEmbedding> out = new java.util.ArrayList<>(texts.size());
        for (int i = 0; i < rows.length; i++) {
            out.add(split(rows[i]).withPieces(pieces(firsts.get(i).ids())));
        }
        return out;
    }

    /** The token ids an opening runs on (package-private for tests). */
    Window openingWindow(String text, int owner, int tokens) {
        return opening(firstWindow(text, tokens), owner, tokens);
    }

    /** The first window of a text, tokenizing a whitespace-cut prefix long enough to hold {@code tokens} tokens. */
    private Window firstWindow(String text, int tokens) {
        int budget = Math.max(256, tokens * 32);
        while (true) {
            String prefix = text;
            if (text.length() > budget) {
                int cut = budget;
                while (cut > 0 && !Character.isWhitespace(text.charAt(cut))) {
                    cut--;
                }
                prefix = cut > 0 ? text.substring(0, cut) : null;
            }
            if (prefix != null) {
                List<Window> ws = handle.tokenizer.windows(List.of(prefix));
                // one token more than kept: the kept ones are then whole and the same as in the full text
                if (prefix.length() == text.length() || ws.size() > 1 || ws.get(0).length() > tokens) {
                    return ws.get(0);
                }
            }
            if (budget >= text.length()) {
                return handle.tokenizer.windows(List.of(text)).get(0);
            }
            budget = (int) Math.min(text.length(), budget * 4L);
        }
    }

    private static Window opening(Window w, int owner, int tokens) {
        int n = w.length();
        if (n <= tokens) {
            return new Window(owner, 0, w.ids(), w.mask(), w.types(), w.start(), w.end());
        }
        long[] ids = java.util.Arrays.copyOf(w.ids(), tokens);
        long[] mask = java.util.Arrays.copyOf(w.mask(), tokens);
        long[] types = w.types() == null ? null : java.util.Arrays.copyOf(w.types(), tokens);
        // the last token (e.g. [SEP]) moves into the last place; token types stay those of the first tokens
        ids[tokens - 1] = w.ids()[n - 1];
        mask[tokens - 1] = w.mask()[n - 1];
        return new Window(owner, 0, ids, mask, types, w.start(), w.end());
    }

    /** Through the micro-batcher when there is one; either way under the handle's lifecycle lock. */
    private List<EncodedText> windows(List<String> texts) {
        return batcher != null ? batcher.callAll(texts) : handle.use(() -> windowsAll(texts));
    }

    private float[][] encode(List<String> texts) {
        List<EncodedText> encoded = windows(texts);
        float[][] out = new float[texts.size()][];
        for (int t = 0; t < out.length; t++) {
            out[t] = encoded.get(t).pooled().get(pooling).clone();
            if (normalize) {
                l2(out[t]);
            }
        }
        return out;
    }

    private List<EncodedText> windowsAll(List<String> texts) {
        if (texts.isEmpty()) {
            return List.of();
        }
        List<Window> windows = handle.tokenizer.windows(texts);
        float[][] rows = runPooled(windows);
        List<List<EncodedText.WindowEmbedding>> perText = new java.util.ArrayList<>(texts.size());
        for (int t = 0; t < texts.size(); t++) {
            perText.add(new java.util.ArrayList<>(1));
        }
        for (int i = 0; i < windows.size(); i++) {
            Window w = windows.get(i);
            perText.get(w.owner()).add(new EncodedText.WindowEmbedding(w.index(), w.start(), w.end(), split(rows[i]).withPieces(pieces(w.ids())),
                    w.length()));
        }
        List<EncodedText> out = new java.util.ArrayList<>(texts.size());
        for (List<EncodedText.WindowEmbedding> ws : perText) {
            out.add(new EncodedText(ws, ws.size() == 1 ? ws.get(0).embedding() : combine(ws)));
        }
        return out;
    }

    /** One row per window: {@code [mean | cls | max]} of the main output, then of each tap in order. */
    private float[][] runPooled(List<Window> windows) {
        int h = dimension;
        return handle.runner.run(windows, (FloatBuffer[] outs, long[] shape, int row, Window w) -> {
            if (outs.length == 1) {
                return pool(outs[0], shape, row, w, h);
            }
            float[] v = new float[3 * h * outs.length];
            for (int o = 0; o < outs.length; o++) {
                System.arraycopy(pool(outs[o], shape, row, w, h), 0, v, 3 * h * o, 3 * h);
            }
            return v;
        });
    }

    private PooledEmbedding split(float[] row) {
        PooledEmbedding main = split(row, 0, dimension);
        if (taps.isEmpty()) {
            return main;
        }
        java.util.Map<String, PooledEmbedding> t = new java.util.LinkedHashMap<>();
        for (int k = 0; k < taps.size(); k++) {
            t.put(taps.get(k), split(row, 3 * dimension * (k + 1), dimension));
        }
        return main.withTaps(t);
    }

    private static PooledEmbedding split(float[] row, int from, int h) {
        return new PooledEmbedding(java.util.Arrays.copyOfRange(row, from, from + h), java.util.Arrays.copyOfRange(row, from + h, from + 2 * h),
                java.util.Arrays.copyOfRange(row, from + 2 * h, from + 3 * h));
    }

    private static int[] pieces(long[] ids) {
        int[] p = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            p[i] = (int) ids[i];
        }
        return p;
    }

    private PooledEmbedding combine(List<EncodedText.WindowEmbedding> ws) {
        List<PooledEmbedding> parts = new java.util.ArrayList<>(ws.size());
        ws.forEach(w -> parts.add(w.embedding()));
        int[] all = parts.stream().flatMapToInt(p -> java.util.Arrays.stream(p.pieces())).toArray();
        PooledEmbedding main = combineParts(parts, dimension).withPieces(all);
        if (taps.isEmpty()) {
            return main;
        }
        java.util.Map<String, PooledEmbedding> t = new java.util.LinkedHashMap<>();
        for (String tap : taps) {
            List<PooledEmbedding> tp = new java.util.ArrayList<>(parts.size());
            parts.forEach(p -> tp.add(p.tap(tap)));
            t.put(tap, combineParts(tp, dimension));
        }
        return main.withTaps(t);
    }

    private static PooledEmbedding combineParts(List<PooledEmbedding> ws, int h) {
        float[] mean = new float[h];
        float[] cls = new float[h];
        float[] max = new float[h];
        java.util.Arrays.fill(max, Float.NEGATIVE_INFINITY);
        for (PooledEmbedding e : ws) {
            for (int d = 0; d < h; d++) {
                mean[d] += e.mean()[d] / ws.size();
                cls[d] += e.cls()[d] / ws.size();
                max[d] = Math.max(max[d], e.max()[d]);
            }
        }
        return new PooledEmbedding(mean, cls, max);
    }

    private static float[] pool(FloatBuffer fb, long[] shape, int row, Window w, int h) {
        int seq = (int) shape[1];
        int base = row * seq * h;
        float[] v = new float[3 * h];
        fb.get(base, v, h, h);
        java.util.Arrays.fill(v, 2 * h, 3 * h, Float.NEGATIVE_INFINITY);
        long[] mask = w.mask();
        int kept = 0;
        float[] token = new float[h];
        for (int t = 0; t < mask.length; t++) {
            if (mask[t] == 0) {
                continue;
            }
            fb.get(base + t * h, token);
            for (int d = 0; d < h; d++) {
                v[d] += token[d];
                if (token[d] > v[2 * h + d]) {
                    v[2 * h + d] = token[d];
                }
            }
            kept++;
        }
        if (kept > 0) {
            for (int d = 0; d < h; d++) {
                v[d] /= kept;
            }
        } else {
            java.util.Arrays.fill(v, 2 * h, 3 * h, 0f);
        }
        return v;
    }

    private static void l2(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += x * x;
        }
        double norm = Math.sqrt(sum);
        if (norm > 1e-12) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (v[i] / norm);
            }
        }
    }

    public int dimension() {
        return dimension;
    }

    public Pooling pooling() {
        return pooling;
    }

    public boolean normalize() {
        return normalize;
    }

    public int maxLength() {
        return handle.tokenizer.maxLength();
    }

    public ExecutionProvider provider() {
        return handle.session.provider();
    }

    public ModelSource source() {
        return source;
    }

    /** The intermediate outputs pooled beside the main one ({@link PooledEmbedding#taps()}), in order. */
    public List<String> taps() {
        return taps;
    }

    public boolean isClosed() {
        return handle.isClosed();
    }

    /** Fails calls still waiting for a micro-batch, waits for running ones, then releases the model. Idempotent. */
    @Override
    public void close() {
        if (batcher != null) {
            batcher.close();
        }
        handle.close();
    }

    /** Settings for a {@link TextEncoder}; each setter validates at once. */
    public static final class Builder {
        private final ModelSource source;
        private RuntimeOptions options = RuntimeOptions.defaults();
        private Pooling pooling = Pooling.MEAN;
        private boolean normalize;
        private int maxLength = DEFAULT_MAX_LENGTH;
        private int stride = -1;
        private String outputName;
        private List<String> taps = List.of();

        private Builder(ModelSource source) {
            this.source = Objects.requireNonNull(source, "source");
        }

        public Builder options(RuntimeOptions options) {
            this.options = Objects.requireNonNull(options, "options");
            return this;
        }

        public Builder pooling(Pooling pooling) {
            this.pooling = Objects.requireNonNull(pooling, "pooling");
            return this;
        }

        /** L2-normalise each vector (what cosine-similarity users want). Default false. */
        public Builder normalize(boolean normalize) {
            this.normalize = normalize;
            return this;
        }

        public Builder maxLength(int tokens) {
            if (tokens < 8) {
                throw new IllegalArgumentException("maxLength must be >= 8 tokens, got " + tokens);
            }
            this.maxLength = tokens;
            return this;
        }

        public Builder stride(int tokens) {
            if (tokens < 0) {
                throw new IllegalArgumentException("stride must be >= 0, got " + tokens);
            }
            this.stride = tokens;
            return this;
        }

        public Builder outputName(String outputName) {
            this.outputName = Objects.requireNonNull(outputName, "outputName");
            return this;
        }

        /**
         * Also pool these intermediate tensors of the encoder graph (e.g. a BERT export's
         * {@code /encoder/layer.7/output/LayerNorm/Add_1_output_0}, the output of its eighth layer),
         * from the same run: each must be {@code [batch, tokens, hidden]} like the main output. The
         * session exposes them as extra graph outputs; they land in {@link PooledEmbedding#taps()}.
         * Heads that read intermediate layers ({@link EmbeddingHead#taps()}) need their taps here.
         */
        public Builder taps(java.util.Collection<String> taps) {
            java.util.LinkedHashSet<String> t = new java.util.LinkedHashSet<>();
            for (String name : Objects.requireNonNull(taps, "taps")) {
                if (name == null || name.isBlank()) {
                    throw new IllegalArgumentException("tap names must be non-blank, got " + taps);
                }
                t.add(name);
            }
            this.taps = List.copyOf(t);
            return this;
        }

        public TextEncoder build() {
            return new TextEncoder(this);
        }
    }
}
