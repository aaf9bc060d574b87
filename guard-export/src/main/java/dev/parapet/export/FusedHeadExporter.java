package dev.parapet.export;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;

import static dev.parapet.export.OnnxExport.ATTENTION_MASK;
import static dev.parapet.export.OnnxExport.FLOAT;
import static dev.parapet.export.OnnxExport.defaultOpset;
import static dev.parapet.export.OnnxExport.floatTensor;
import static dev.parapet.export.OnnxExport.intAttr;
import static dev.parapet.export.OnnxExport.longTensor;
import static dev.parapet.export.OnnxExport.readAll;
import static dev.parapet.export.OnnxExport.valueInfo;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes a fused, standalone Hugging Face-layout binary classifier that reproduces a small trained
 * head on a frozen encoder: the encoder graph, then one or more poolings (masked mean, CLS, masked
 * max), each optionally L2-normalised, concatenated in the given order, then dense layers with
 * activations ending in one unit {@code z}, then a calibration {@code a·z + b} turned into two
 * logits {@code [-(a·z+b)/2, +(a·z+b)/2]}. Softmax over those two logits is exactly
 * {@code sigmoid(a·z + b)} for the second label, so any loader that applies softmax to a
 * {@code single_label_classification} model reads the head's calibrated probability.
 *
 * <p>This is the export of the {@code parapet-head/1} BINARY TEXT heads (guard-train converts a head
 * into these settings); it does not depend on guard-onnx. Like {@link FusedClassifierExporter},
 * the encoder is kept as it is and every added node uses the encoder's own opset (attribute forms
 * of {@code Unsqueeze}/{@code ReduceSum} below opset 13, of {@code ReduceMax} below opset 18);
 * added names start with {@value #NAME_PREFIX}.
 *
 * <p>A head may also read the text's <em>opening</em> ({@link Builder#opening}): the poolings of its
 * first {@code N} tokens, encoded by a second copy of the encoder's nodes that shares its weights. The
 * opening of a row of length {@code len} is its first {@code min(len, N) - 1} tokens followed by its
 * last real token (so {@code [CLS] first N-2 tokens [SEP]}; a row of at most {@code N} tokens is
 * unchanged), and the opening's parts follow the whole input's parts in the feature vector.
 *
 * <p>A head may also read a <em>lexicon</em> ({@link Builder#lexicon}), a bag of word pieces: for
 * {@code K} token ids, {@code v_j = 1} when the row's {@code input_ids} hold {@code ids[j]} anywhere,
 * else 0, scaled to {@code v / sqrt(max(1, sum v))}. These {@code K} values come last in the feature
 * vector, after every pooled part (the opening's included).
 *
 * <p>The graph sees one token sequence per row. A runtime that splits long texts into windows and
 * averages them (as a windowed encoder does) gives different numbers for texts longer than one
 * window: the fused model then sees whatever sequence the caller's tokenizer produces.
 *
 * <p>Instances are immutable; {@link #export(Path)} may be called any number of times.
 */
public final class FusedHeadExporter {
    /** File name of the fused graph inside the export directory. */
    public static final String MODEL_FILE = FusedClassifierExporter.MODEL_FILE;
    /** File name of the tokenizer inside the export directory. */
    public static final String TOKENIZER_FILE = FusedClassifierExporter.TOKENIZER_FILE;
    /** File name of the configuration inside the export directory. */
    public static final String CONFIG_FILE = FusedClassifierExporter.CONFIG_FILE;
    /** Name of the single graph output, {@code [batch, 2]}. */
    public static final String LOGITS = FusedClassifierExporter.LOGITS;
    /** Prefix of every node, tensor and initializer name the exporter adds. */
    public static final String NAME_PREFIX = FusedClassifierExporter.NAME_PREFIX;
    /** {@code config.json} architecture name. */
    public static final String ARCHITECTURE = "ParapetFusedHeadClassifier";

    /** Activation after a dense layer. */
    public enum Activation { NONE, RELU, TANH }

    /**
     * One dense layer {@code y = act(W x + b)}.
     *
     * @param weights row-major {@code [out][in]}
     */
    public record DenseLayer(int in, int out, float[] weights, float[] bias, Activation activation) {
        public DenseLayer {
            Objects.requireNonNull(weights, "weights");
            Objects.requireNonNull(bias, "bias");
            Objects.requireNonNull(activation, "activation");
            if (in < 1 || out < 1 || weights.length != (long) in * out || bias.length != out) {
                throw new IllegalArgumentException("dense layer " + in + " -> " + out + " needs " + ((long) in * out) + " weights and "
                        + out + " biases, got " + weights.length + " and " + bias.length);
            }
        }
    }

    /** Matches the windowed encoder, which divides by the kept-token count; the floor only avoids 0/0. */
    private static final float MIN_TOKEN_COUNT = 1e-9f;
    /** Same floor as the Java head's normalisation. */
    private static final float MIN_NORM = 1e-12f;
    /** Added to masked-out positions before ReduceMax; far below any hidden activation, exact (0) on kept ones. */
    private static final float MASKED_OFFSET = 1e9f;
    /** Encoder inputs the opening pass replaces by its own tensors. */
    private static final String INPUT_IDS = "input_ids";
    private static final String TOKEN_TYPE_IDS = "token_type_ids";
    /** Opsets below 11 lack Range and GatherElements, which the opening inputs are built from. */
    private static final int MIN_OPENING_OPSET = 11;

    private final ModelProto fused;
    private final JsonObject tokenizer;
    private final JsonObject config;
    private final List<String> labels;
    private final int featureSize;

    private FusedHeadExporter(ModelProto fused, JsonObject tokenizer, JsonObject config, List<String> labels, int featureSize) {
        this.fused = fused;
        this.tokenizer = tokenizer;
        this.config = config;
        this.labels = labels;
        this.featureSize = featureSize;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Label names in id order: {@code [negative, flagged]}. */
    public List<String> labels() {
        return labels;
    }

    /** Width of the feature vector the first layer reads (the opening's parts and the lexicon included). */
    public int featureSize() {
        return featureSize;
    }

    /**
     * Writes {@value #MODEL_FILE}, {@value #TOKENIZER_FILE} and {@value #CONFIG_FILE} into
     * {@code directory} (created if missing; files replaced via a temporary name, config last).
     *
     * @return {@code directory}
     * @throws UncheckedIOException naming the file that could not be written
     */
    public Path export(Path directory) {
        return OnnxExport.export(directory, fused, tokenizer, config);
    }

    /** Settings of a {@link FusedHeadExporter}; {@link #build()} checks them all and reports every problem at once. */
    public static final class Builder {
        private byte[] encoderBytes;
        private Path encoderPath;
        private String encoderName;
        private byte[] tokenizerBytes;
        private Path tokenizerPath;
        private String tokenizerName;
        private String encoderOutput = "last_hidden_state";
        private List<TokenPooling> poolings = List.of(TokenPooling.MEAN);
        private boolean normalize;
        private final List<DenseLayer> layers = new ArrayList<>();
        private double calibrationA = 1.0;
        private double calibrationB = 0.0;
        private List<String> labels;
        private int maxLength = 512;
        private Map<String, String> metadata = Map.of();
        private int openingTokens;
        private List<TokenPooling> openingPoolings = List.of();
        private List<String> taps = List.of();
        private long[] lexicon = new long[0];

        private Builder() {
        }

        /** The encoder ONNX file; read by {@link #build()}. */
        public Builder encoder(Path file) {
            this.encoderPath = Objects.requireNonNull(file, "encoder");
            this.encoderBytes = null;
            this.encoderName = "encoder file " + file;
            return this;
        }

        /** The encoder ONNX bytes, read to the end now; the stream is not closed. */
        public Builder encoder(InputStream onnx) {
            this.encoderBytes = readAll(Objects.requireNonNull(onnx, "encoder"), "encoder stream");
            this.encoderPath = null;
            this.encoderName = "encoder stream";
            return this;
        }

        /** The encoder's tokenizer.json file; read by {@link #build()}. */
        public Builder tokenizer(Path file) {
            this.tokenizerPath = Objects.requireNonNull(file, "tokenizer");
            this.tokenizerBytes = null;
            this.tokenizerName = "tokenizer file " + file;
            return this;
        }

        /** The encoder's tokenizer.json bytes, read to the end now; the stream is not closed. */
        public Builder tokenizer(InputStream json) {
            this.tokenizerBytes = readAll(Objects.requireNonNull(json, "tokenizer"), "tokenizer stream");
            this.tokenizerPath = null;
            this.tokenizerName = "tokenizer stream";
            return this;
        }

        /** Encoder tensor holding token vectors {@code [batch, seq, hidden]}; default {@code last_hidden_state}. */
        public Builder encoderOutput(String name) {
            this.encoderOutput = name;
            return this;
        }

        /** Poolings concatenated in this order; default {@code [MEAN]}. */
        public Builder poolings(List<TokenPooling> poolings) {
            this.poolings = poolings == null ? null : new ArrayList<>(poolings);
            return this;
        }

        /** L2-normalise each pooled part before concatenation; default false. */
        public Builder normalize(boolean normalize) {
            this.normalize = normalize;
            return this;
        }

        /** Appends a dense layer; the last one must have one output unit. */
        public Builder layer(DenseLayer layer) {
            layers.add(Objects.requireNonNull(layer, "layer"));
            return this;
        }

        /** {@code p = sigmoid(a·z + b)} for the flagged label; default {@code a = 1, b = 0}. */
        public Builder calibration(double a, double b) {
            this.calibrationA = a;
            this.calibrationB = b;
            return this;
        }

        /** Two label names {@code [negative, flagged]} ({@code id2label} order). */
        public Builder labels(List<String> labels) {
            this.labels = labels == null ? null : new ArrayList<>(labels);
            return this;
        }

        /** Window length callers should feed (written to config.json); default 512. */
        public Builder maxLength(int maxLength) {
            this.maxLength = maxLength;
            return this;
        }

        /**
         * Also pool the text's opening: its first {@code tokens} tokens (special tokens included), with
         * the last of them replaced by the row's last real token, encoded on their own by a second
         * copy of the encoder's nodes (weights shared, so the file barely grows) and pooled with
         * {@code poolings} under the opening's own mask. Their parts, each L2-normalised when
         * {@link #normalize} is on, follow the whole input's parts, so layer 0 reads
         * {@code hidden × (poolings + opening poolings)} values. Default: no opening;
         * {@code opening(0, List.of())} restores that.
         *
         * <p>{@link #build()} requires {@code tokens >= 3} and at least one pooling, none repeated, and
         * an encoder of opset 11 or later whose only inputs are {@code input_ids},
         * {@code attention_mask} and optionally {@code token_type_ids}, without subgraph attributes.
         */
        public Builder opening(int tokens, List<TokenPooling> poolings) {
            this.openingTokens = tokens;
            this.openingPoolings = poolings == null ? null : new ArrayList<>(poolings);
            return this;
        }

        /**
         * Also pool these intermediate encoder tensors ({@code [batch, seq, hidden]}, e.g. a BERT
         * layer's output), as the runtime's {@code EmbeddingHead.taps()} reads them: each pooled block
         * (the whole input's, then the opening's) is the encoder output's poolings followed by the same
         * poolings of every tap in order. Default: none.
         */
        public Builder taps(List<String> taps) {
            this.taps = taps == null ? null : new ArrayList<>(taps);
            return this;
        }

        /**
         * Appends a bag of word pieces to the feature vector: {@code v_j = 1} when {@code ids[j]}
         * occurs anywhere in the row's {@code input_ids}, else 0, then {@code v / sqrt(max(1, sum v))}
         * (unit length, all zeros when none occurs). Its {@code ids.length} values come after every
         * other part (the whole input's and its taps', then the opening's), so layer 0 reads that many
         * more inputs. Every position of {@code input_ids} is scanned, the attention mask is not read:
         * the caller leaves the tokenizer's special tokens and its padding id out of {@code ids}.
         * Default: none; {@code null} or an empty array restores that.
         *
         * <p>{@link #build()} requires distinct ids {@code >= 0} and an encoder input named
         * {@code input_ids}.
         *
         * @param ids the word-piece token ids, in feature order; copied
         */
        public Builder lexicon(long[] ids) {
            this.lexicon = ids == null ? new long[0] : ids.clone();
            return this;
        }

        /** Entries written under {@code "parapet"} in config.json. */
        public Builder metadata(Map<String, String> metadata) {
            this.metadata = metadata;
            return this;
        }

        /**
         * Reads and checks everything and splices the head onto the encoder graph.
         *
         * @throws IllegalArgumentException listing every invalid setting by name
         */
        public FusedHeadExporter build() {
            List<String> problems = new ArrayList<>();
            ModelProto model = OnnxExport.loadEncoder(encoderBytes, encoderPath, encoderName, problems);
            JsonObject tok = OnnxExport.loadTokenizer(tokenizerBytes, tokenizerPath, tokenizerName, problems);
            if (encoderOutput == null || encoderOutput.isBlank()) {
                problems.add("encoderOutput must name the encoder's token-vector output, got " + encoderOutput);
            }
            if (poolings == null || poolings.isEmpty() || poolings.contains(null)) {
                problems.add("poolings must list at least one of MEAN, CLS, MAX (no nulls), got " + poolings);
            } else if (new HashSet<>(poolings).size() != poolings.size()) {
                problems.add("poolings must not repeat a pooling, got " + poolings);
            }
            if (layers.isEmpty()) {
                problems.add("at least one dense layer is required: call layer(DenseLayer)");
            } else {
                for (int i = 1; i < layers.size(); i++) {
                    if (layers.get(i).in() != layers.get(i - 1).out()) {
                        problems.add("layer " + i + " takes " + layers.get(i).in() + " inputs but layer " + (i - 1) + " gives "
                                + layers.get(i - 1).out());
                    }
                }
                if (layers.get(layers.size() - 1).out() != 1) {
                    problems.add("the last layer must have one output unit, has " + layers.get(layers.size() - 1).out());
                }
                for (int i = 0; i < layers.size(); i++) {
                    if (!allFinite(layers.get(i).weights()) || !allFinite(layers.get(i).bias())) {
                        problems.add("layer " + i + " holds a non-finite weight or bias");
                    }
                }
            }
            if (!Double.isFinite(calibrationA) || !Double.isFinite(calibrationB)) {
                problems.add("calibration must be finite, got a=" + calibrationA + ", b=" + calibrationB);
            }
            if (labels == null || labels.size() != 2 || labels.contains(null) || labels.stream().anyMatch(String::isBlank)
                    || labels.get(0).equals(labels.get(1))) {
                problems.add("labels must be two distinct names [negative, flagged], got " + labels);
            }
            if (maxLength < 1) {
                problems.add("maxLength must be >= 1, got " + maxLength);
            }
            boolean opening = hasOpening();
            if (opening && openingTokens < 3) {
                problems.add("opening tokens must be >= 3 (special tokens included, as the runtime requires), got " + openingTokens);
            }
            if (opening && (openingPoolings == null || openingPoolings.isEmpty() || openingPoolings.contains(null))) {
                problems.add("opening poolings must list at least one of MEAN, CLS, MAX (no nulls), got " + openingPoolings);
            } else if (opening && new HashSet<>(openingPoolings).size() != openingPoolings.size()) {
                problems.add("opening poolings must not repeat a pooling, got " + openingPoolings);
            }
            checkLexicon(problems);
            // entry scan, not containsKey(null): immutable maps throw on null look-ups
            if (metadata == null || metadata.entrySet().stream().anyMatch(e -> e.getKey() == null || e.getValue() == null)) {
                problems.add("metadata must be a map without null keys or values");
            }
            int hidden = -1;
            int opset = -1;
            if (model != null) {
                opset = defaultOpset(model);
                if (opset < 1) {
                    problems.add(encoderName + " imports no default-domain (ai.onnx) opset; expected e.g. opset 11");
                }
                hidden = checkGraph(model.getGraph(), problems);
                if (taps != null) {
                    for (String tap : taps) {
                        if (tap != null && model.getGraph().getNodeList().stream().noneMatch(n -> n.getOutputList().contains(tap))) {
                            problems.add("tap \"" + tap + "\" is not computed by a node of " + encoderName);
                        }
                    }
                }
                if (opening) {
                    checkOpening(model.getGraph(), opset, problems);
                }
                if (lexicon.length > 0 && model.getGraph().getInputList().stream().noneMatch(v -> v.getName().equals(INPUT_IDS))) {
                    problems.add("lexicon needs an input named \"" + INPUT_IDS + "\" in " + encoderName);
                }
            }
            boolean openingValid = !opening || (openingPoolings != null && !openingPoolings.isEmpty());
            if (hidden > 0 && poolings != null && openingValid && !layers.isEmpty()
                    && layers.get(0).in() != (long) hidden * partCount() + lexicon.length) {
                String parts = opening ? poolings.size() + " pooling(s) and " + openingPoolings.size() + " opening pooling(s)"
                        : poolings.size() + " pooling(s)";
                String lex = lexicon.length > 0 ? " plus a lexicon of " + lexicon.length + " id(s)" : "";
                problems.add("layer 0 takes " + layers.get(0).in() + " inputs but " + parts + " of the " + hidden
                        + "-wide encoder output" + lex + " give " + ((long) hidden * partCount() + lexicon.length));
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("Invalid FusedHeadExporter settings:\n - " + String.join("\n - ", problems));
            }
            int features = layers.get(0).in();
            ModelProto fusedModel = new Splicer(model, opset, encoderOutput, this).splice();
            tok.add("truncation", JsonNull.INSTANCE);
            tok.add("padding", JsonNull.INSTANCE);
            return new FusedHeadExporter(fusedModel, tok, config(features), List.copyOf(labels), features);
        }

        private JsonObject config(int features) {
            JsonObject cfg = new JsonObject();
            JsonArray arch = new JsonArray();
            arch.add(ARCHITECTURE);
            cfg.add("architectures", arch);
            cfg.addProperty("model_type", FusedClassifierExporter.MODEL_TYPE);
            cfg.addProperty("problem_type", FusedClassifierExporter.SINGLE_LABEL);
            JsonObject id2label = new JsonObject();
            JsonObject label2id = new JsonObject();
            for (int i = 0; i < labels.size(); i++) {
                id2label.addProperty(Integer.toString(i), labels.get(i));
                label2id.addProperty(labels.get(i), i);
            }
            cfg.add("id2label", id2label);
            cfg.add("label2id", label2id);
            cfg.addProperty("num_labels", 2);
            cfg.addProperty("hidden_size", (features - lexicon.length) / partCount());
            cfg.addProperty("max_position_embeddings", maxLength);
            cfg.addProperty("max_length", maxLength);
            JsonArray pool = new JsonArray();
            poolings.forEach(p -> pool.add(p.configName()));
            cfg.add("pooling", pool);
            cfg.addProperty("normalize", normalize);
            if (hasOpening()) {
                cfg.addProperty("opening_tokens", openingTokens);
                JsonArray openingPool = new JsonArray();
                openingPoolings.forEach(p -> openingPool.add(p.configName()));
                cfg.add("opening_pooling", openingPool);
            }
            if (!taps.isEmpty()) {
                JsonArray t = new JsonArray();
                taps.forEach(t::add);
                cfg.add("taps", t);
            }
            if (lexicon.length > 0) {
                JsonArray ids = new JsonArray();
                for (long id : lexicon) {
                    ids.add(id);
                }
                cfg.add("lexicon", ids);
            }
            JsonObject parapet = new JsonObject();
            metadata.forEach(parapet::addProperty);
            cfg.add("parapet", parapet);
            return cfg;
        }

        /** True unless the opening is left at (or reset to) its default, none. */
        private boolean hasOpening() {
            return openingTokens != 0 || openingPoolings == null || !openingPoolings.isEmpty();
        }

        /** Pooled parts layer 0 reads: the whole input's, then the opening's, each for the output and every tap. */
        private int partCount() {
            return (poolings.size() + (hasOpening() ? openingPoolings.size() : 0)) * (1 + (taps == null ? 0 : taps.size()));
        }

        /** Lexicon ids must be distinct and non-negative (token ids). */
        private void checkLexicon(List<String> problems) {
            Set<Long> seen = new HashSet<>();
            List<Long> negative = new ArrayList<>();
            List<Long> repeated = new ArrayList<>();
            for (long id : lexicon) {
                if (id < 0) {
                    negative.add(id);
                } else if (!seen.add(id) && !repeated.contains(id)) {
                    repeated.add(id);
                }
            }
            if (!negative.isEmpty()) {
                problems.add("lexicon ids must be token ids >= 0, got " + negative);
            }
            if (!repeated.isEmpty()) {
                problems.add("lexicon ids must be distinct, got " + repeated + " more than once");
            }
        }

        /** What the second encoder pass needs: the inputs it replaces, nodes it can copy, a computed output. */
        private void checkOpening(GraphProto graph, int opset, List<String> problems) {
            if (opset > 0 && opset < MIN_OPENING_OPSET) {
                problems.add("opening needs an encoder of opset " + MIN_OPENING_OPSET + " or later (Range, GatherElements), "
                        + encoderName + " uses opset " + opset);
            }
            Set<String> initializers = new HashSet<>();
            graph.getInitializerList().forEach(t -> initializers.add(t.getName()));
            graph.getSparseInitializerList().forEach(t -> initializers.add(t.getValues().getName()));
            List<String> inputs = graph.getInputList().stream().map(ValueInfoProto::getName)
                    .filter(n -> !initializers.contains(n)).toList();
            for (String required : List.of(INPUT_IDS, ATTENTION_MASK)) {
                if (!inputs.contains(required)) {
                    problems.add("opening needs an input named \"" + required + "\" in " + encoderName);
                }
            }
            List<String> others = inputs.stream().filter(n -> !List.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS).contains(n)).toList();
            if (!others.isEmpty()) {
                problems.add("opening cannot feed the encoder inputs " + others + " of " + encoderName + " (they would keep the whole"
                        + " input's length); expected only " + INPUT_IDS + ", " + ATTENTION_MASK + " and " + TOKEN_TYPE_IDS);
            }
            if (encoderOutput != null && graph.getNodeList().stream().noneMatch(n -> n.getOutputList().contains(encoderOutput))) {
                problems.add("opening needs encoderOutput \"" + encoderOutput + "\" to be computed by a node of " + encoderName
                        + ", not to be a graph input");
            }
            for (NodeProto n : graph.getNodeList()) {
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.getType() == AttributeProto.AttributeType.GRAPH || a.getType() == AttributeProto.AttributeType.GRAPHS
                            || a.hasG() || a.getGraphsCount() > 0) {
                        problems.add("opening cannot copy node \"" + n.getName() + "\" (" + n.getOpType() + ") of " + encoderName
                                + ": its attribute \"" + a.getName() + "\" holds a subgraph, whose outer-scope names would not be"
                                + " renamed; expected an encoder without control-flow subgraphs");
                    }
                }
            }
        }

        /** Returns the encoder output's hidden size, or -1 when unknown. */
        private int checkGraph(GraphProto graph, List<String> problems) {
            Set<String> names = new HashSet<>();
            graph.getInputList().forEach(v -> names.add(v.getName()));
            graph.getInitializerList().forEach(t -> names.add(t.getName()));
            boolean produced = false;
            for (NodeProto n : graph.getNodeList()) {
                names.add(n.getName());
                names.addAll(n.getOutputList());
                produced |= n.getOutputList().contains(encoderOutput);
            }
            if (encoderOutput == null || encoderOutput.isBlank()) {
                return -1;
            }
            if (!produced && graph.getInputList().stream().noneMatch(v -> v.getName().equals(encoderOutput))) {
                problems.add("encoderOutput \"" + encoderOutput + "\" is not a tensor of " + encoderName + "; its graph outputs are "
                        + graph.getOutputList().stream().map(ValueInfoProto::getName).toList());
                return -1;
            }
            boolean needsMask = poolings != null && (poolings.contains(TokenPooling.MEAN) || poolings.contains(TokenPooling.MAX));
            if (needsMask && graph.getInputList().stream().noneMatch(v -> v.getName().equals(ATTENTION_MASK))) {
                problems.add("MEAN and MAX pooling need an input named \"" + ATTENTION_MASK + "\" in " + encoderName);
            }
            if (names.contains(LOGITS)) {
                problems.add(encoderName + " already has a tensor named \"" + LOGITS + "\"; expected a bare encoder");
            }
            if (names.stream().anyMatch(n -> n.startsWith(NAME_PREFIX))) {
                problems.add(encoderName + " already holds names starting with \"" + NAME_PREFIX + "\"; expected a bare encoder");
            }
            ValueInfoProto info = valueInfo(graph, encoderOutput);
            if (info != null && info.getType().hasTensorType() && info.getType().getTensorType().hasShape()) {
                TensorShapeProto shape = info.getType().getTensorType().getShape();
                if (shape.getDimCount() != 3) {
                    problems.add("encoderOutput \"" + encoderOutput + "\" has rank " + shape.getDimCount() + "; expected [batch, sequence, hidden]");
                } else if (shape.getDim(2).hasDimValue()) {
                    return (int) shape.getDim(2).getDimValue();
                }
            }
            return -1;
        }
    }

    /** Appends poolings, normalisation, dense layers, calibration and the two-logit output. */
    private static final class Splicer extends OnnxExport.Splicer {
        /** Prefix (after {@link #NAME_PREFIX}) of the copied encoder's nodes and tensors; no other added name starts so. */
        private static final String OPENING_COPY = "opening_encoder_";

        private final Builder settings;
        private final Set<String> constants = new HashSet<>();

        Splicer(ModelProto model, int opset, String hiddenStates, Builder settings) {
            super(model, opset, hiddenStates);
            this.settings = settings;
        }

        ModelProto splice() {
            List<String> parts = new ArrayList<>();
            Tokens whole = new Tokens("", "", hiddenStates, ATTENTION_MASK);
            for (TokenPooling pooling : settings.poolings) {
                parts.add(part(whole, pooling));
            }
            List<Tokens> wholeTaps = new ArrayList<>();
            for (int t = 0; t < settings.taps.size(); t++) {
                Tokens tap = whole.tap(t, settings.taps.get(t));
                wholeTaps.add(tap);
                for (TokenPooling pooling : settings.poolings) {
                    parts.add(part(tap, pooling));
                }
            }
            if (settings.hasOpening()) {
                Tokens opening = new Tokens("opening_", "Opening_", encodeOpening(), p("opening_" + ATTENTION_MASK));
                for (TokenPooling pooling : settings.openingPoolings) {
                    parts.add(part(opening, pooling));
                }
                for (int t = 0; t < settings.taps.size(); t++) {
                    Tokens tap = opening.tap(t, openingTensor(settings.taps.get(t)));
                    for (TokenPooling pooling : settings.openingPoolings) {
                        parts.add(part(tap, pooling));
                    }
                }
            }
            if (settings.lexicon.length > 0) {
                parts.add(lexicon());
            }
            String x = parts.get(0);
            if (parts.size() > 1) {
                x = p("features");
                node("Concat", "Concat_features", parts, x, intAttr("axis", 1));
            }
            for (int i = 0; i < settings.layers.size(); i++) {
                x = dense(x, settings.layers.get(i), i);
            }
            // a·z + b as the flagged logit's double; halves on both sides make softmax = sigmoid(a·z + b)
            graph.addInitializer(floatTensor(p("calibration_a"), new long[0], new float[] {(float) settings.calibrationA}));
            graph.addInitializer(floatTensor(p("calibration_b"), new long[0], new float[] {(float) settings.calibrationB}));
            graph.addInitializer(floatTensor(p("logit_signs"), new long[] {2}, new float[] {-0.5f, 0.5f}));
            node("Mul", "Calibration_scale", List.of(x, p("calibration_a")), p("scaled"));
            node("Add", "Calibration_shift", List.of(p("scaled"), p("calibration_b")), p("calibrated"));
            node("Mul", "Logits", List.of(p("calibrated"), p("logit_signs")), LOGITS);

            Map<String, String> props = new LinkedHashMap<>();
            props.put("parapet.architecture", ARCHITECTURE);
            props.put("parapet.pooling", new Gson().toJson(settings.poolings.stream().map(TokenPooling::configName).toList()));
            props.put("parapet.normalize", Boolean.toString(settings.normalize));
            if (!settings.taps.isEmpty()) {
                props.put("parapet.taps", new Gson().toJson(settings.taps));
            }
            if (settings.lexicon.length > 0) {
                props.put("parapet.lexicon", new Gson().toJson(settings.lexicon));
            }
            if (settings.hasOpening()) {
                props.put("parapet.opening_tokens", Integer.toString(settings.openingTokens));
                props.put("parapet.opening_pooling",
                        new Gson().toJson(settings.openingPoolings.stream().map(TokenPooling::configName).toList()));
            }
            props.put("parapet.problem_type", FusedClassifierExporter.SINGLE_LABEL);
            props.put("parapet.id2label", new Gson().toJson(settings.labels));
            return finish(2, props);
        }

        /**
         * Token vectors {@code [batch, seq, hidden]} and the mask that keeps them; {@code tensorTag} and
         * {@code nodeTag} keep the names of the nodes pooling them apart from another source's.
         */
        private final class Tokens {
            final String tensorTag;
            final String nodeTag;
            final String hidden;
            final String mask;
            String maskFloat;
            String mask3;

            Tokens(String tensorTag, String nodeTag, String hidden, String mask) {
                this.tensorTag = tensorTag;
                this.nodeTag = nodeTag;
                this.hidden = hidden;
                this.mask = mask;
            }

            String t(String name) {
                return p(tensorTag + name);
            }

            /** The {@code index}-th tap's vectors under the same mask (its mask tensors are built once more, cheaply). */
            Tokens tap(int index, String tensor) {
                return new Tokens(tensorTag + "tap" + index + "_", nodeTag + "Tap" + index + "_", tensor, mask);
            }

            String n(String name) {
                return nodeTag + name;
            }

            void ensureMask() {
                if (maskFloat == null) {
                    maskFloat = t("mask");
                    mask3 = t("mask_expanded");
                    node("Cast", n("Cast_mask"), List.of(mask), maskFloat, intAttr("to", FLOAT));
                    unsqueeze(maskFloat, mask3, 2);
                }
            }
        }

        private String part(Tokens tokens, TokenPooling pooling) {
            String pooled = switch (pooling) {
                case MEAN -> meanPool(tokens);
                case CLS -> clsPool(tokens);
                case MAX -> maxPool(tokens);
            };
            return settings.normalize ? l2Normalize(pooled, tokens.tensorTag + pooling.configName()) : pooled;
        }

        /** Adds an initializer once, however many poolings read it. */
        private String constant(TensorProto tensor) {
            if (constants.add(tensor.getName())) {
                graph.addInitializer(tensor);
            }
            return tensor.getName();
        }

        private String meanPool(Tokens tk) {
            tk.ensureMask();
            node("Mul", tk.n("Mean_masked"), List.of(tk.hidden, tk.mask3), tk.t("mean_masked"));
            reduce("ReduceSum", tk.t("mean_masked"), tk.t("mean_sum"), 1, false);
            reduce("ReduceSum", tk.maskFloat, tk.t("token_count"), 1, true);
            String min = constant(floatTensor(p("min_token_count"), new long[0], new float[] {MIN_TOKEN_COUNT}));
            node("Max", tk.n("Mean_clamp"), List.of(tk.t("token_count"), min), tk.t("token_count_clamped"));
            node("Div", tk.n("Mean_pool"), List.of(tk.t("mean_sum"), tk.t("token_count_clamped")), tk.t("pooled_mean"));
            return tk.t("pooled_mean");
        }

        private String clsPool(Tokens tk) {
            String index = constant(longTensor(p("cls_index"), new long[0], new long[] {0}));
            node("Gather", tk.n("Cls_pool"), List.of(tk.hidden, index), tk.t("pooled_cls"), intAttr("axis", 1));
            return tk.t("pooled_cls");
        }

        /** max over kept tokens: padding gets (mask - 1) * 1e9 added, kept tokens get exactly 0 added. */
        private String maxPool(Tokens tk) {
            tk.ensureMask();
            String one = constant(floatTensor(p("one"), new long[0], new float[] {1f}));
            String offset = constant(floatTensor(p("masked_offset"), new long[0], new float[] {MASKED_OFFSET}));
            node("Sub", tk.n("Max_mask_minus_one"), List.of(tk.mask3, one), tk.t("mask_minus_one"));
            node("Mul", tk.n("Max_offset"), List.of(tk.t("mask_minus_one"), offset), tk.t("max_offset"));
            node("Add", tk.n("Max_masked"), List.of(tk.hidden, tk.t("max_offset")), tk.t("max_masked"));
            reduce("ReduceMax", tk.t("max_masked"), tk.t("pooled_max"), 1, false);
            return tk.t("pooled_max");
        }

        /**
         * Builds the opening's inputs from the graph inputs and runs a copy of the encoder's nodes on
         * them; returns the copy's token vectors. With {@code len = sum(mask)}, {@code L = min(len, N)}
         * and {@code W = min(S, N)}: ids {@code [b, j < W]} are {@code ids[b, len-1]} at {@code j = L-1}
         * and {@code ids[b, j]} elsewhere, the mask is {@code j < L}, token types are the first {@code W}.
         */
        private String encodeOpening() {
            GraphProto encoder = model.getGraph();
            String ids = p("opening_" + INPUT_IDS);
            String mask = p("opening_" + ATTENTION_MASK);
            String types = p("opening_" + TOKEN_TYPE_IDS);
            // Slice [:, :N] with starts/ends/axes as inputs (opset 10+); ends past S are clamped, so W = min(S, N)
            graph.addInitializer(longTensor(p("opening_starts"), new long[] {1}, new long[] {0}));
            graph.addInitializer(longTensor(p("opening_ends"), new long[] {1}, new long[] {settings.openingTokens}));
            graph.addInitializer(longTensor(p("opening_axes"), new long[] {1}, new long[] {1}));
            graph.addInitializer(longTensor(p("opening_int_zero"), new long[0], new long[] {0}));
            graph.addInitializer(longTensor(p("opening_int_one"), new long[0], new long[] {1}));
            List<String> window = List.of(p("opening_starts"), p("opening_ends"), p("opening_axes"));
            node("Slice", "Opening_slice_ids", concat(INPUT_IDS, window), p("opening_first_ids"));
            // len [batch, 1] and L = min(len, N); Min only takes integers from opset 12, so Less + Where
            node("Cast", "Opening_mask_to_int64", List.of(ATTENTION_MASK), p("opening_mask_int64"), intAttr("to", OnnxExport.INT64));
            reduce("ReduceSum", p("opening_mask_int64"), p("opening_length"), 1, true);
            node("Less", "Opening_is_short", List.of(p("opening_length"), p("opening_ends")), p("opening_is_short"));
            node("Where", "Opening_kept", List.of(p("opening_is_short"), p("opening_length"), p("opening_ends")), p("opening_kept"));
            // the row's last real token, ids[b, len - 1] (index -1 on an empty row is valid and never used)
            node("Sub", "Opening_last_index", List.of(p("opening_length"), p("opening_int_one")), p("opening_last_index"));
            node("GatherElements", "Opening_last_ids", List.of(INPUT_IDS, p("opening_last_index")), p("opening_last_ids"),
                    intAttr("axis", 1));
            // positions 0..W-1 against L - 1 (where the last token goes) and L (where the mask ends)
            node("Shape", "Opening_shape", List.of(p("opening_first_ids")), p("opening_shape"));
            node("Gather", "Opening_width", List.of(p("opening_shape"), p("opening_int_one")), p("opening_width"), intAttr("axis", 0));
            node("Range", "Opening_positions", List.of(p("opening_int_zero"), p("opening_width"), p("opening_int_one")),
                    p("opening_positions"));
            node("Sub", "Opening_last_position", List.of(p("opening_kept"), p("opening_int_one")), p("opening_last_position"));
            node("Equal", "Opening_is_last", List.of(p("opening_positions"), p("opening_last_position")), p("opening_is_last"));
            node("Where", "Opening_ids", List.of(p("opening_is_last"), p("opening_last_ids"), p("opening_first_ids")), ids);
            node("Less", "Opening_is_kept", List.of(p("opening_positions"), p("opening_kept")), p("opening_is_kept"));
            node("Cast", "Opening_mask", List.of(p("opening_is_kept")), mask, intAttr("to", elementType(encoder, ATTENTION_MASK)));

            Map<String, String> replaced = new LinkedHashMap<>();
            replaced.put(INPUT_IDS, ids);
            replaced.put(ATTENTION_MASK, mask);
            if (encoder.getInputList().stream().anyMatch(v -> v.getName().equals(TOKEN_TYPE_IDS))) {
                node("Slice", "Opening_slice_token_types", concat(TOKEN_TYPE_IDS, window), types);
                replaced.put(TOKEN_TYPE_IDS, types);
            }
            return copyEncoder(encoder, replaced);
        }

        /**
         * Appends a copy of every encoder node reading {@code replaced} inputs instead of the graph
         * inputs; initializers (and any other graph input) are shared, every other tensor and every node
         * name gets the {@link #OPENING_COPY} prefix. Subgraph attributes were refused by the builder.
         */
        private String copyEncoder(GraphProto encoder, Map<String, String> replaced) {
            Set<String> shared = new HashSet<>();
            encoder.getInitializerList().forEach(t -> shared.add(t.getName()));
            encoder.getSparseInitializerList().forEach(t -> shared.add(t.getValues().getName()));
            encoder.getInputList().forEach(v -> shared.add(v.getName()));
            for (NodeProto n : encoder.getNodeList()) {
                NodeProto.Builder copy = n.toBuilder().clearInput().clearOutput();
                for (String in : n.getInputList()) {
                    copy.addInput(replaced.getOrDefault(in, opening(in, shared)));
                }
                for (String out : n.getOutputList()) {
                    copy.addOutput(opening(out, shared));
                }
                if (!n.getName().isEmpty()) {
                    copy.setName(p(OPENING_COPY + n.getName()));
                }
                graph.addNode(copy);
            }
            return opening(hiddenStates, shared);
        }

        /** The opening copy's name of an encoder tensor (after {@link #encodeOpening}). */
        private String openingTensor(String tensor) {
            Set<String> shared = new HashSet<>();
            model.getGraph().getInitializerList().forEach(t -> shared.add(t.getName()));
            model.getGraph().getSparseInitializerList().forEach(t -> shared.add(t.getValues().getName()));
            model.getGraph().getInputList().forEach(v -> shared.add(v.getName()));
            return opening(tensor, shared);
        }

        /** The copy's name of an encoder tensor; "" (an omitted optional input or output) stays "". */
        private static String opening(String tensor, Set<String> shared) {
            return tensor.isEmpty() || shared.contains(tensor) ? tensor : p(OPENING_COPY + tensor);
        }

        private static List<String> concat(String first, List<String> rest) {
            List<String> all = new ArrayList<>();
            all.add(first);
            all.addAll(rest);
            return all;
        }

        /** The declared element type of a graph input, INT64 when it declares none. */
        private static int elementType(GraphProto graph, String input) {
            for (ValueInfoProto v : graph.getInputList()) {
                if (v.getName().equals(input) && v.getType().hasTensorType() && v.getType().getTensorType().getElemType() != 0) {
                    return v.getType().getTensorType().getElemType();
                }
            }
            return OnnxExport.INT64;
        }

        /**
         * The bag of word pieces {@code [batch, K]}: {@code Equal([batch, seq, 1] ids, [K] lexicon)},
         * any over the sequence (ReduceMax of the 0/1 floats), divided by {@code sqrt(max(1, count))}.
         */
        private String lexicon() {
            String ids = INPUT_IDS;
            if (elementType(model.getGraph(), INPUT_IDS) != OnnxExport.INT64) {
                node("Cast", "Lexicon_ids_to_int64", List.of(INPUT_IDS), p("lexicon_input_ids"), intAttr("to", OnnxExport.INT64));
                ids = p("lexicon_input_ids");
            }
            unsqueeze(ids, p("lexicon_input_ids_expanded"), 2);
            String words = constant(longTensor(p("lexicon_ids"), new long[] {settings.lexicon.length}, settings.lexicon));
            node("Equal", "Lexicon_equal", List.of(p("lexicon_input_ids_expanded"), words), p("lexicon_matches"));
            node("Cast", "Lexicon_cast", List.of(p("lexicon_matches")), p("lexicon_matches_float"), intAttr("to", FLOAT));
            reduce("ReduceMax", p("lexicon_matches_float"), p("lexicon_present"), 1, false);
            reduce("ReduceSum", p("lexicon_present"), p("lexicon_count"), 1, true);
            String one = constant(floatTensor(p("one"), new long[0], new float[] {1f}));
            node("Max", "Lexicon_clamp", List.of(p("lexicon_count"), one), p("lexicon_count_clamped"));
            node("Sqrt", "Lexicon_sqrt", List.of(p("lexicon_count_clamped")), p("lexicon_norm"));
            node("Div", "Lexicon_scale", List.of(p("lexicon_present"), p("lexicon_norm")), p("lexicon"));
            return p("lexicon");
        }

        private String l2Normalize(String x, String part) {
            String q = "norm_" + part + "_";
            node("Mul", q + "square", List.of(x, x), p(q + "squared"));
            reduce("ReduceSum", p(q + "squared"), p(q + "sum_squares"), 1, true);
            node("Sqrt", q + "sqrt", List.of(p(q + "sum_squares")), p(q + "norm"));
            graph.addInitializer(floatTensor(p(q + "min_norm"), new long[0], new float[] {MIN_NORM}));
            node("Max", q + "clamp", List.of(p(q + "norm"), p(q + "min_norm")), p(q + "norm_clamped"));
            node("Div", q + "divide", List.of(x, p(q + "norm_clamped")), p(q + "normalized"));
            return p(q + "normalized");
        }

        private String dense(String x, DenseLayer layer, int index) {
            String q = "layer" + index + "_";
            // stored transposed, [in, out], so the layer is a plain MatMul on [batch, in]
            float[] wt = new float[layer.in() * layer.out()];
            for (int o = 0; o < layer.out(); o++) {
                for (int i = 0; i < layer.in(); i++) {
                    wt[i * layer.out() + o] = layer.weights()[o * layer.in() + i];
                }
            }
            graph.addInitializer(floatTensor(p(q + "weight"), new long[] {layer.in(), layer.out()}, wt));
            graph.addInitializer(floatTensor(p(q + "bias"), new long[] {layer.out()}, layer.bias()));
            node("MatMul", q + "matmul", List.of(x, p(q + "weight")), p(q + "projected"));
            node("Add", q + "add", List.of(p(q + "projected"), p(q + "bias")), p(q + "linear"));
            return switch (layer.activation()) {
                case NONE -> p(q + "linear");
                case RELU -> {
                    node("Relu", q + "relu", List.of(p(q + "linear")), p(q + "out"));
                    yield p(q + "out");
                }
                case TANH -> {
                    node("Tanh", q + "tanh", List.of(p(q + "linear")), p(q + "out"));
                    yield p(q + "out");
                }
            };
        }
    }

    private static boolean allFinite(float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }
}
