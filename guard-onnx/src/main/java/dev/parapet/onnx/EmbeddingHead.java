package dev.parapet.onnx;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.parapet.core.ModelLoadException;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A small trained head on a frozen text encoder: features from pooled embeddings, a stack of dense
 * layers ending in one unit, and a calibration {@code p = sigmoid(a * z + b)}.
 *
 * <p>A head is a versioned resource of a few KB ({@value #FORMAT}, JSON with float32 weights in
 * base64) that names the encoder it was trained on (name and sha256), the poolings it reads, how a
 * (prompt, response) pair becomes features, its labels, its default threshold and the metrics it
 * reached. Heads on the same encoder share one encoder pass: they read a {@link PooledEmbedding}.
 *
 * <ul>
 * <li>{@link Task#BINARY}: the output is the logit of {@code labels[1]} (the flagged class);
 *     {@link #probability} is its calibrated probability.</li>
 * <li>{@link Task#REWARD}: the output is a reward; {@link #probability} maps it to (0, 1) with the
 *     same calibration, read as the chance the response beats a typical one (Bradley-Terry).</li>
 * </ul>
 *
 * <p>A {@link Input#TEXT TEXT} head may also read the text's <em>opening</em> ({@link #openingTokens()}
 * &gt; 0): the poolings ({@link #openingPoolings()}) of its first tokens encoded on their own, as
 * {@link TextEncoder#encodeOpenings} computes them. Its features are then the window's poolings
 * followed by the opening's, and every window of a text is scored with the same opening. A
 * refusal states itself in its first words, while a whole-text embedding is mostly about the topic.
 *
 * <p>A {@link Input#TEXT TEXT} head may also read a <em>lexicon</em> ({@link #lexicon()}): K word-piece ids,
 * whose presence in the window ({@link PooledEmbedding#pieces()}) is a 0/1 vector scaled to unit length
 * (all zeros when none occurs), appended after every other block of the row. A cheap lexical signal beside
 * the embedding: an insult is often one word, which a sentence embedding blurs.
 *
 * Immutable and thread-safe.
 */
public final class EmbeddingHead {
    public static final String FORMAT = "parapet-head/1";

    /** What the head predicts. */
    public enum Task { BINARY, REWARD }

    /** What a head reads: one text, or a (prompt, response) pair. */
    public enum Input { TEXT, PAIR }

    /** Parts of a pair's feature vector, in declared order; {@code u} = prompt features, {@code v} = response features. */
    public enum PairFeature { PROMPT, RESPONSE, PRODUCT, ABS_DIFF }

    /** Activation after a dense layer. */
    public enum Activation { NONE, RELU, TANH }

    /** One dense layer: {@code y = act(W x + b)}, {@code W} row-major [out][in]. */
    public record Dense(int in, int out, float[] weights, float[] bias, Activation activation) {
        public Dense {
            Objects.requireNonNull(weights, "weights");
            Objects.requireNonNull(bias, "bias");
            Objects.requireNonNull(activation, "activation");
            if (in < 1 || out < 1 || weights.length != in * out || bias.length != out) {
                throw new IllegalArgumentException("dense layer " + in + " -> " + out + " needs " + (in * out) + " weights and "
                        + out + " biases, got " + weights.length + " and " + bias.length);
            }
        }

        float[] apply(float[] x) {
            float[] y = new float[out];
            for (int o = 0; o < out; o++) {
                double sum = bias[o];
                int row = o * in;
                for (int i = 0; i < in; i++) {
                    sum += weights[row + i] * x[i];
                }
                y[o] = switch (activation) {
                    case NONE -> (float) sum;
                    case RELU -> (float) Math.max(0.0, sum);
                    case TANH -> (float) Math.tanh(sum);
                };
            }
            return y;
        }
    }

    private final String name;
    private final Task task;
    private final Input input;
    private final String encoderName;
    private final String encoderSha256;
    private final int maxLength;
    private final List<Pooling> poolings;
    private final boolean normalize;
    private final List<PairFeature> pairFeatures;
    private final int openingTokens;
    private final List<Pooling> openingPoolings;
    private final List<String> taps;
    private final int[] lexicon;
    /** {@link #lexicon} sorted, and for each sorted position the column of that id in the block. */
    private final int[] lexiconSorted;
    private final int[] lexiconColumn;
    private final List<Dense> layers;
    private final double calibrationA;
    private final double calibrationB;
    private final List<String> labels;
    private final double threshold;
    private final Map<String, Object> metadata;

    private EmbeddingHead(Builder b) {
        this.name = b.name;
        this.task = b.task;
        this.input = b.input;
        this.encoderName = b.encoderName;
        this.encoderSha256 = b.encoderSha256;
        this.maxLength = b.maxLength;
        this.poolings = List.copyOf(b.poolings);
        this.normalize = b.normalize;
        this.pairFeatures = List.copyOf(b.pairFeatures);
        this.openingTokens = b.openingTokens;
        this.openingPoolings = List.copyOf(b.openingPoolings);
        this.taps = List.copyOf(b.taps);
        this.lexicon = b.lexicon.clone();
        this.lexiconSorted = b.lexicon.clone();
        java.util.Arrays.sort(lexiconSorted);
        this.lexiconColumn = new int[lexicon.length];
        for (int j = 0; j < lexicon.length; j++) {
            lexiconColumn[java.util.Arrays.binarySearch(lexiconSorted, lexicon[j])] = j;
        }
        this.layers = List.copyOf(b.layers);
        this.calibrationA = b.calibrationA;
        this.calibrationB = b.calibrationB;
        this.labels = List.copyOf(b.labels);
        this.threshold = b.threshold;
        this.metadata = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.metadata));
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    // ---- inference ------------------------------------------------------------------------

    /**
     * The feature vector of one text: the chosen poolings, each L2-normalised if {@link #normalize()},
     * concatenated; then the same poolings of each intermediate encoder output in {@link #taps()}.
     */
    public float[] textFeatures(PooledEmbedding e) {
        Objects.requireNonNull(e, "embedding");
        return withLexicon(parts(e, poolings), e);
    }

    /**
     * The feature vector of one window of a text and the text's opening: {@link #textFeatures} of
     * the window followed by the opening's {@link #openingPoolings()}, each L2-normalised if
     * {@link #normalize()}.
     *
     * @throws IllegalStateException when this head reads no opening
     */
    public float[] textFeatures(PooledEmbedding window, PooledEmbedding opening) {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(opening, "opening");
        if (openingTokens == 0) {
            throw new IllegalStateException("head '" + name + "' reads no opening; use textFeatures(window)");
        }
        float[] a = parts(window, poolings);
        float[] b = parts(opening, openingPoolings);
        float[] f = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, f, a.length, b.length);
        return withLexicon(f, window);
    }

    /** {@code f} followed by the lexicon block of {@code window}'s pieces; {@code f} itself when the head has no lexicon. */
    private float[] withLexicon(float[] f, PooledEmbedding window) {
        if (lexicon.length == 0) {
            return f;
        }
        int[] pieces = window.pieces();
        if (pieces == null) {
            throw new IllegalStateException("head '" + name + "' reads a lexicon of " + lexicon.length
                    + " word pieces but the embedding carries no token ids (PooledEmbedding.withPieces)");
        }
        float[] out = java.util.Arrays.copyOf(f, f.length + lexicon.length);
        int present = 0;
        for (int id : pieces) {
            int k = java.util.Arrays.binarySearch(lexiconSorted, id);
            if (k >= 0 && out[f.length + lexiconColumn[k]] == 0f) {
                out[f.length + lexiconColumn[k]] = 1f;
                present++;
            }
        }
        if (present > 1) {
            float scale = (float) (1.0 / Math.sqrt(present));
            for (int j = f.length; j < out.length; j++) {
                out[j] *= scale;
            }
        }
        return out;
    }

    /** {@code which} poolings of the main output, then of each tap. */
    private float[] parts(PooledEmbedding e, List<Pooling> which) {
        int h = e.dimension();
        int per = h * which.size();
        float[] f = new float[per * (1 + taps.size())];
        parts(e, which, f, 0);
        for (int t = 0; t < taps.size(); t++) {
            parts(e.tap(taps.get(t)), which, f, per * (t + 1));
        }
        return f;
    }

    private void parts(PooledEmbedding e, List<Pooling> which, float[] f, int offset) {
        int h = e.dimension();
        for (int p = 0; p < which.size(); p++) {
            float[] part = e.get(which.get(p));
            if (part.length != h) {
                throw new IllegalArgumentException("head '" + name + "': pooling " + which.get(p) + " has " + part.length + " values, expected " + h);
            }
            double scale = 1.0;
            if (normalize) {
                double sum = 0;
                for (float x : part) {
                    sum += x * x;
                }
                scale = 1.0 / Math.max(Math.sqrt(sum), 1e-12);
            }
            for (int d = 0; d < h; d++) {
                f[offset + p * h + d] = (float) (part[d] * scale);
            }
        }
    }

    /** The feature vector of a (prompt, response) pair, from {@link #pairFeatures()}. */
    public float[] pairFeatures(PooledEmbedding prompt, PooledEmbedding response) {
        float[] u = textFeatures(prompt);
        float[] v = textFeatures(response);
        int n = u.length;
        float[] f = new float[n * pairFeatures.size()];
        for (int k = 0; k < pairFeatures.size(); k++) {
            int base = k * n;
            for (int d = 0; d < n; d++) {
                f[base + d] = switch (pairFeatures.get(k)) {
                    case PROMPT -> u[d];
                    case RESPONSE -> v[d];
                    case PRODUCT -> u[d] * v[d];
                    case ABS_DIFF -> Math.abs(u[d] - v[d]);
                };
            }
        }
        return f;
    }

    /** The raw output unit (logit of the flagged class, or reward) for a feature vector. */
    public double score(float[] features) {
        Objects.requireNonNull(features, "features");
        if (features.length != inputSize()) {
            throw new IllegalArgumentException("head '" + name + "' takes " + inputSize() + " features, got " + features.length);
        }
        float[] x = features;
        for (Dense layer : layers) {
            x = layer.apply(x);
        }
        return x[0];
    }

    /** Calibrated probability in [0, 1] for a feature vector. */
    public double probability(float[] features) {
        double z = calibrationA * score(features) + calibrationB;
        return 1.0 / (1.0 + Math.exp(-z));
    }

    /**
     * Probability for one text (task with {@link Input#TEXT}).
     *
     * @throws IllegalStateException when this head also reads the text's opening: use {@link #probability(PooledEmbedding, PooledEmbedding)}
     */
    public double probability(PooledEmbedding text) {
        if (openingTokens > 0) {
            throw new IllegalStateException("head '" + name + "' also reads the text's first " + openingTokens
                    + " tokens; pass the opening (TextEncoder.encodeOpenings) as well");
        }
        return probability(textFeatures(text));
    }

    /**
     * Probability for a pair (task with {@link Input#PAIR}: prompt, response), or for one window of a
     * text and the text's opening (a {@link Input#TEXT TEXT} head with {@link #openingTokens()} &gt; 0).
     */
    public double probability(PooledEmbedding first, PooledEmbedding second) {
        if (input == Input.TEXT) {
            return probability(textFeatures(first, second));
        }
        return probability(pairFeatures(first, second));
    }


    public int inputSize() {
        return layers.get(0).in();
    }

    // ---- accessors ------------------------------------------------------------------------

    public String name() {
        return name;
    }

    public Task task() {
        return task;
    }

    public Input input() {
        return input;
    }

    public String encoderName() {
        return encoderName;
    }

    public String encoderSha256() {
        return encoderSha256;
    }

    public int maxLength() {
        return maxLength;
    }

    public List<Pooling> poolings() {
        return poolings;
    }

    public boolean normalize() {
        return normalize;
    }

    /** Tokens of the text's opening this head reads (special tokens included), or 0 when it reads none. */
    public int openingTokens() {
        return openingTokens;
    }

    /**
     * Intermediate encoder outputs (graph tensor names) whose poolings follow the final output's in
     * every feature block, window and opening alike; empty for a head on the final output only. The
     * encoder must be built with them ({@link TextEncoder.Builder#taps}).
     */
    public List<String> taps() {
        return taps;
    }

    /**
     * Word-piece ids whose presence in the window this head reads after every other feature block (a copy); empty
     * for a head without a lexicon. None of them is a special token or padding of the encoder's tokenizer.
     */
    public int[] lexicon() {
        return lexicon.clone();
    }

    /** Poolings of the opening this head reads; empty when {@link #openingTokens()} is 0. */
    public List<Pooling> openingPoolings() {
        return openingPoolings;
    }

    public List<PairFeature> pairFeatureList() {
        return pairFeatures;
    }

    public List<Dense> layers() {
        return layers;
    }

    public double calibrationA() {
        return calibrationA;
    }

    public double calibrationB() {
        return calibrationB;
    }

    public List<String> labels() {
        return labels;
    }

    /** The flagged label ({@code labels[1]}). */
    public String flaggedLabel() {
        return labels.get(1);
    }

    public double threshold() {
        return threshold;
    }

    public Map<String, Object> metadata() {
        return metadata;
    }

    // ---- JSON -----------------------------------------------------------------------------

    /** Reads a head; any problem fails with {@link ModelLoadException} naming {@code source}. */
    public static EmbeddingHead read(InputStream in, String source) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(source, "source");
        JsonObject root;
        try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            JsonElement e = JsonParser.parseReader(r);
            if (!e.isJsonObject()) {
                throw new ModelLoadException(source + ": expected a JSON object");
            }
            root = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new ModelLoadException(source + " is not valid JSON: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + source + ": " + e.getMessage(), e);
        }
        try {
            String format = str(root, "format");
            if (!FORMAT.equals(format)) {
                throw new ModelLoadException(source + ": format '" + format + "' is not supported; expected " + FORMAT);
            }
            Builder b = builder(str(root, "name"))
                    .task(Task.valueOf(str(root, "task").toUpperCase(Locale.ROOT)))
                    .input(Input.valueOf(str(root, "input").toUpperCase(Locale.ROOT)));
            JsonObject enc = root.getAsJsonObject("encoder");
            if (enc == null) {
                throw new ModelLoadException(source + ": missing 'encoder'");
            }
            b.encoder(str(enc, "name"), str(enc, "sha256"), enc.get("max_length").getAsInt());
            List<Pooling> poolings = new ArrayList<>();
            for (JsonElement p : root.getAsJsonArray("pooling")) {
                poolings.add(Pooling.valueOf(p.getAsString().toUpperCase(Locale.ROOT)));
            }
            b.poolings(poolings).normalize(root.has("normalize") && root.get("normalize").getAsBoolean());
            if (root.has("opening") && !root.get("opening").isJsonNull()) {
                JsonObject op = root.getAsJsonObject("opening");
                List<Pooling> ops = new ArrayList<>();
                for (JsonElement p : op.getAsJsonArray("pooling")) {
                    ops.add(Pooling.valueOf(p.getAsString().toUpperCase(Locale.ROOT)));
                }
                b.opening(op.get("tokens").getAsInt(), ops);
            }
            if (root.has("taps") && !root.get("taps").isJsonNull()) {
                List<String> t = new ArrayList<>();
                for (JsonElement p : root.getAsJsonArray("taps")) {
                    t.add(p.getAsString());
                }
                b.taps(t);
            }
            if (root.has("lexicon") && !root.get("lexicon").isJsonNull()) {
                JsonArray lx = root.getAsJsonArray("lexicon");
                int[] ids = new int[lx.size()];
                for (int j = 0; j < ids.length; j++) {
                    ids[j] = lx.get(j).getAsInt();
                }
                b.lexicon(ids);
            }
            if (root.has("pair_features")) {
                List<PairFeature> pf = new ArrayList<>();
                for (JsonElement p : root.getAsJsonArray("pair_features")) {
                    pf.add(PairFeature.valueOf(p.getAsString().toUpperCase(Locale.ROOT)));
                }
                b.pairFeatures(pf);
            }
            for (JsonElement l : root.getAsJsonArray("layers")) {
                JsonObject o = l.getAsJsonObject();
                b.layer(new Dense(o.get("in").getAsInt(), o.get("out").getAsInt(), floats(str(o, "weights_f32le_b64")),
                        floats(str(o, "bias_f32le_b64")), Activation.valueOf(str(o, "activation").toUpperCase(Locale.ROOT))));
            }
            JsonObject cal = root.getAsJsonObject("calibration");
            if (cal != null) {
                b.calibration(cal.get("a").getAsDouble(), cal.get("b").getAsDouble());
            }
            List<String> labels = new ArrayList<>();
            for (JsonElement l : root.getAsJsonArray("labels")) {
                labels.add(l.getAsString());
            }
            b.labels(labels).threshold(root.get("threshold").getAsDouble());
            if (root.has("metadata")) {
                Map<String, Object> meta = new Gson().fromJson(root.get("metadata"), LinkedHashMap.class);
                b.metadata(meta);
            }
            return b.build();
        } catch (ModelLoadException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ModelLoadException(source + ": not a valid " + FORMAT + " head: " + e.getMessage(), e);
        }
    }

    /** Writes this head as {@value #FORMAT} JSON (UTF-8); the stream is flushed, not closed. */
    public void write(OutputStream out) {
        JsonObject root = new JsonObject();
        root.addProperty("format", FORMAT);
        root.addProperty("name", name);
        root.addProperty("task", task.name().toLowerCase(Locale.ROOT));
        root.addProperty("input", input.name().toLowerCase(Locale.ROOT));
        JsonObject enc = new JsonObject();
        enc.addProperty("name", encoderName);
        enc.addProperty("sha256", encoderSha256);
        enc.addProperty("max_length", maxLength);
        root.add("encoder", enc);
        JsonArray pool = new JsonArray();
        poolings.forEach(p -> pool.add(p.name().toLowerCase(Locale.ROOT)));
        root.add("pooling", pool);
        root.addProperty("normalize", normalize);
        if (!taps.isEmpty()) {
            JsonArray t = new JsonArray();
            taps.forEach(t::add);
            root.add("taps", t);
        }
        if (lexicon.length > 0) {
            JsonArray lx = new JsonArray();
            for (int id : lexicon) {
                lx.add(id);
            }
            root.add("lexicon", lx);
        }
        if (!pairFeatures.isEmpty()) {
            JsonArray pf = new JsonArray();
            pairFeatures.forEach(p -> pf.add(p.name().toLowerCase(Locale.ROOT)));
            root.add("pair_features", pf);
        }
        if (openingTokens > 0) {
            JsonObject op = new JsonObject();
            op.addProperty("tokens", openingTokens);
            JsonArray opp = new JsonArray();
            openingPoolings.forEach(p -> opp.add(p.name().toLowerCase(Locale.ROOT)));
            op.add("pooling", opp);
            root.add("opening", op);
        }
        JsonArray labelArray = new JsonArray();
        labels.forEach(labelArray::add);
        root.add("labels", labelArray);
        root.addProperty("threshold", threshold);
        JsonObject cal = new JsonObject();
        cal.addProperty("method", "platt");
        cal.addProperty("a", calibrationA);
        cal.addProperty("b", calibrationB);
        root.add("calibration", cal);
        JsonArray ls = new JsonArray();
        for (Dense d : layers) {
            JsonObject o = new JsonObject();
            o.addProperty("in", d.in());
            o.addProperty("out", d.out());
            o.addProperty("activation", d.activation().name().toLowerCase(Locale.ROOT));
            o.addProperty("weights_f32le_b64", base64(d.weights()));
            o.addProperty("bias_f32le_b64", base64(d.bias()));
            ls.add(o);
        }
        root.add("layers", ls);
        Gson gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();
        root.add("metadata", gson.toJsonTree(metadata));
        try {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            gson.toJson(root, w);
            w.write('\n');
            w.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String str(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException("missing '" + key + "'");
        }
        return e.getAsString();
    }

    private static String base64(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return Base64.getEncoder().encodeToString(b.array());
    }

    private static float[] floats(String base64) {
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(base64)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / Float.BYTES];
        for (int i = 0; i < f.length; i++) {
            f[i] = b.getFloat();
        }
        return f;
    }

    @Override
    public String toString() {
        return "EmbeddingHead{" + name + ", " + task + ", " + input + ", encoder=" + encoderName + ", pooling=" + poolings
                + (openingTokens > 0 ? ", opening=" + openingTokens + " tokens " + openingPoolings : "")
                + (taps.isEmpty() ? "" : ", taps=" + taps)
                + (lexicon.length == 0 ? "" : ", lexicon=" + lexicon.length + " word pieces")
                + ", layers=" + layers.size() + ", threshold=" + threshold + '}';
    }

    /** Builds an {@link EmbeddingHead}; {@link #build()} checks that the parts fit together. */
    public static final class Builder {
        private final String name;
        private Task task = Task.BINARY;
        private Input input = Input.TEXT;
        private String encoderName;
        private String encoderSha256;
        private int maxLength = TextEncoder.DEFAULT_MAX_LENGTH;
        private List<Pooling> poolings = List.of(Pooling.MEAN);
        private boolean normalize;
        private List<PairFeature> pairFeatures = List.of();
        private int openingTokens;
        private List<Pooling> openingPoolings = List.of();
        private List<String> taps = List.of();
        private int[] lexicon = new int[0];
        private final List<Dense> layers = new ArrayList<>();
        private double calibrationA = 1.0;
        private double calibrationB = 0.0;
        private List<String> labels;
        private double threshold = 0.5;
        private Map<String, Object> metadata = new LinkedHashMap<>();

        private Builder(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        public Builder task(Task task) {
            this.task = Objects.requireNonNull(task, "task");
            return this;
        }

        public Builder input(Input input) {
            this.input = Objects.requireNonNull(input, "input");
            return this;
        }

        public Builder encoder(String name, String sha256, int maxLength) {
            this.encoderName = Objects.requireNonNull(name, "encoder name");
            this.encoderSha256 = Objects.requireNonNull(sha256, "encoder sha256");
            if (maxLength < 8) {
                throw new IllegalArgumentException("encoder maxLength must be >= 8, got " + maxLength);
            }
            this.maxLength = maxLength;
            return this;
        }

        public Builder poolings(List<Pooling> poolings) {
            if (poolings == null || poolings.isEmpty()) {
                throw new IllegalArgumentException("poolings needs at least one pooling");
            }
            this.poolings = List.copyOf(poolings);
            return this;
        }

        public Builder normalize(boolean normalize) {
            this.normalize = normalize;
            return this;
        }

        public Builder pairFeatures(List<PairFeature> pairFeatures) {
            this.pairFeatures = List.copyOf(Objects.requireNonNull(pairFeatures, "pairFeatures"));
            return this;
        }

        /**
         * Also read the text's opening: the poolings of its first {@code tokens} tokens (special tokens
         * included), encoded on their own ({@link TextEncoder#encodeOpenings}). {@code tokens == 0} with
         * no poolings reads none (the default).
         */
        public Builder opening(int tokens, List<Pooling> poolings) {
            Objects.requireNonNull(poolings, "opening poolings");
            if (tokens == 0 && poolings.isEmpty()) {
                this.openingTokens = 0;
                this.openingPoolings = List.of();
                return this;
            }
            if (tokens < 3) {
                throw new IllegalArgumentException("opening tokens must be >= 3 (special tokens included), got " + tokens);
            }
            if (poolings.isEmpty() || poolings.stream().anyMatch(Objects::isNull)) {
                throw new IllegalArgumentException("an opening needs at least one pooling, got " + poolings);
            }
            this.openingTokens = tokens;
            this.openingPoolings = List.copyOf(poolings);
            return this;
        }

        /**
         * Also read the presence of these word pieces in the window ({@link EmbeddingHead#lexicon()}): distinct ids
         * &ge; 1, none of them a special token of the encoder's tokenizer; empty for none.
         */
        public Builder lexicon(int[] ids) {
            int[] c = Objects.requireNonNull(ids, "ids").clone();
            int[] sorted = c.clone();
            java.util.Arrays.sort(sorted);
            for (int j = 0; j < sorted.length; j++) {
                if (sorted[j] < 1 || (j > 0 && sorted[j] == sorted[j - 1])) {
                    throw new IllegalArgumentException("lexicon ids must be distinct and >= 1 (0 is padding), got " + sorted[j]
                            + (sorted[j] >= 1 ? " twice" : ""));
                }
            }
            this.lexicon = c;
            return this;
        }

        /** Also read these intermediate encoder outputs ({@link EmbeddingHead#taps()}); distinct, non-blank names. */
        public Builder taps(List<String> taps) {
            List<String> t = List.copyOf(Objects.requireNonNull(taps, "taps"));
            if (new java.util.HashSet<>(t).size() != t.size() || t.stream().anyMatch(String::isBlank)) {
                throw new IllegalArgumentException("taps must be distinct, non-blank tensor names, got " + t);
            }
            this.taps = t;
            return this;
        }

        public Builder layer(Dense layer) {
            layers.add(Objects.requireNonNull(layer, "layer"));
            return this;
        }

        public Builder calibration(double a, double b) {
            if (!Double.isFinite(a) || !Double.isFinite(b)) {
                throw new IllegalArgumentException("calibration must be finite, got a=" + a + ", b=" + b);
            }
            this.calibrationA = a;
            this.calibrationB = b;
            return this;
        }

        public Builder labels(List<String> labels) {
            this.labels = List.copyOf(Objects.requireNonNull(labels, "labels"));
            return this;
        }

        public Builder threshold(double threshold) {
            if (!(threshold >= 0.0 && threshold <= 1.0)) {
                throw new IllegalArgumentException("threshold must be in [0, 1], got " + threshold);
            }
            this.threshold = threshold;
            return this;
        }

        public Builder metadata(Map<String, Object> metadata) {
            this.metadata = new LinkedHashMap<>(Objects.requireNonNull(metadata, "metadata"));
            return this;
        }

        public EmbeddingHead build() {
            if (encoderName == null) {
                throw new IllegalArgumentException("head '" + name + "': encoder(...) is required");
            }
            if (labels == null || labels.size() != 2) {
                throw new IllegalArgumentException("head '" + name + "': labels must be [negative, positive], got " + labels);
            }
            if (layers.isEmpty()) {
                throw new IllegalArgumentException("head '" + name + "': at least one layer is required");
            }
            if (openingTokens > 0 && input != Input.TEXT) {
                throw new IllegalArgumentException("head '" + name + "': only a TEXT head can read an opening");
            }
            if (openingTokens > maxLength) {
                throw new IllegalArgumentException("head '" + name + "': an opening of " + openingTokens
                        + " tokens is longer than the encoder's " + maxLength + "-token windows");
            }
            if (lexicon.length > 0 && input != Input.TEXT) {
                throw new IllegalArgumentException("head '" + name + "': only a TEXT head can read a lexicon");
            }
            if (input == Input.PAIR && pairFeatures.isEmpty()) {
                throw new IllegalArgumentException("head '" + name + "': a PAIR head needs pairFeatures");
            }
            for (int i = 1; i < layers.size(); i++) {
                if (layers.get(i).in() != layers.get(i - 1).out()) {
                    throw new IllegalArgumentException("head '" + name + "': layer " + i + " takes " + layers.get(i).in()
                            + " inputs but layer " + (i - 1) + " gives " + layers.get(i - 1).out());
                }
            }
            if (layers.get(layers.size() - 1).out() != 1) {
                throw new IllegalArgumentException("head '" + name + "': the last layer must have one output unit");
            }
            return new EmbeddingHead(this);
        }
    }
}
