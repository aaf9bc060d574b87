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
 * Writes a fused, standalone Hugging Face-layout ONNX sequence classifier: one ONNX graph made of a
 * sentence encoder, pooling and a linear head, next to a {@code tokenizer.json} and a
 * {@code config.json}. Any ONNX runtime loads the result like a downloaded classifier: feed the
 * encoder's original inputs ({@code input_ids}, {@code attention_mask}, ...), read one float output
 * {@code logits} of shape {@code [batch, numLabels]}.
 *
 * <p>The encoder is kept as it is (same IR version, same opset, quantisation included); the head is
 * appended with operators in the encoder's own opset, using the attribute forms of
 * {@code Unsqueeze}/{@code ReduceSum} below opset 13 and the input forms from 13 on. All appended nodes,
 * tensors and initializers are prefixed with {@value #NAME_PREFIX} so they cannot clash with the
 * encoder's names.
 *
 * <pre>{@code
 * Path dir = FusedClassifierExporter.builder()
 *         .encoder(Path.of("encoder.onnx"))
 *         .tokenizer(Path.of("tokenizer.json"))
 *         .head(linearHead)                        // or head(weights, bias) + labels(...)
 *         .pooling(Pooling.MEAN)
 *         .build()
 *         .export(Path.of("out/toxicity"));
 * }</pre>
 *
 * <p>Instances are immutable; {@link #export(Path)} may be called any number of times.
 */
public final class FusedClassifierExporter {

    /** File name of the fused graph inside the export directory. */
    public static final String MODEL_FILE = "model.onnx";
    /** File name of the tokenizer inside the export directory. */
    public static final String TOKENIZER_FILE = "tokenizer.json";
    /** File name of the configuration inside the export directory. */
    public static final String CONFIG_FILE = "config.json";
    /** Name of the single graph output. */
    public static final String LOGITS = "logits";
    /** Prefix of every node, tensor and initializer name the exporter adds. */
    public static final String NAME_PREFIX = "parapet_head/";
    /** {@code config.json} architecture name. */
    public static final String ARCHITECTURE = "ParapetFusedClassifier";
    /** {@code config.json} model type. */
    public static final String MODEL_TYPE = "parapet-fused";
    /** Hugging Face problem type of a softmax classifier (one label per text). */
    public static final String SINGLE_LABEL = "single_label_classification";
    /** Hugging Face problem type of a sigmoid classifier (any number of labels per text). */
    public static final String MULTI_LABEL = "multi_label_classification";

    /** Same floor as sentence-transformers' mean pooling, so an all-zero mask divides by 1e-9, not 0. */
    private static final float MIN_TOKEN_COUNT = 1e-9f;
    /** Same floor as torch.nn.functional.normalize. */
    private static final float MIN_NORM = 1e-12f;

    private final ModelProto fused;
    private final JsonObject tokenizer;
    private final JsonObject config;
    private final List<String> labels;
    private final int hiddenSize;
    private final Pooling pooling;
    private final boolean normalize;

    private FusedClassifierExporter(ModelProto fused, JsonObject tokenizer, JsonObject config, List<String> labels,
            int hiddenSize, Pooling pooling, boolean normalize) {
        this.fused = fused;
        this.tokenizer = tokenizer;
        this.config = config;
        this.labels = labels;
        this.hiddenSize = hiddenSize;
        this.pooling = pooling;
        this.normalize = normalize;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Label names in id order. */
    public List<String> labels() {
        return labels;
    }

    /** Width of the pooled vector the head reads. */
    public int hiddenSize() {
        return hiddenSize;
    }

    public Pooling pooling() {
        return pooling;
    }

    public boolean normalize() {
        return normalize;
    }

    /**
     * Writes {@value #MODEL_FILE}, {@value #TOKENIZER_FILE} and {@value #CONFIG_FILE} into
     * {@code directory} (created if missing, existing files replaced). Each file is written to a
     * temporary name and moved into place, config last, so a directory holding a config.json holds a
     * complete export.
     *
     * @return {@code directory}
     * @throws UncheckedIOException if a file cannot be written; the message names it
     */
    public Path export(Path directory) {
        return OnnxExport.export(directory, fused, tokenizer, config);
    }

    /**
     * Settings of a {@link FusedClassifierExporter}. Nothing is checked until {@link #build()}, which
     * reports every problem at once.
     */
    public static final class Builder {
        private Path encoderPath;
        private byte[] encoderBytes;
        private String encoderName;
        private Path tokenizerPath;
        private byte[] tokenizerBytes;
        private String tokenizerName;
        private String encoderOutput = "last_hidden_state";
        private Pooling pooling = Pooling.MEAN;
        private boolean normalize;
        private float[][] weights;
        private float[] bias;
        private List<String> labels;
        private String problemType = SINGLE_LABEL;
        private int maxLength = 512;
        private Map<String, String> metadata = Map.of();

        private Builder() {
        }

        /** The encoder ONNX file; read by {@link #build()}. */
        public Builder encoder(Path file) {
            this.encoderPath = Objects.requireNonNull(file, "encoder");
            this.encoderBytes = null;
            this.encoderName = "encoder file " + file;
            return this;
        }

        /**
         * The encoder ONNX bytes, read to the end now; the stream is not closed.
         *
         * @throws UncheckedIOException if the stream cannot be read
         */
        public Builder encoder(InputStream onnx) {
            Objects.requireNonNull(onnx, "encoder");
            this.encoderBytes = readAll(onnx, "encoder stream");
            this.encoderPath = null;
            this.encoderName = "encoder stream";
            return this;
        }

        /** The encoder's Hugging Face tokenizer.json file; read by {@link #build()}. */
        public Builder tokenizer(Path file) {
            this.tokenizerPath = Objects.requireNonNull(file, "tokenizer");
            this.tokenizerBytes = null;
            this.tokenizerName = "tokenizer file " + file;
            return this;
        }

        /**
         * The encoder's tokenizer.json bytes, read to the end now; the stream is not closed.
         *
         * @throws UncheckedIOException if the stream cannot be read
         */
        public Builder tokenizer(InputStream json) {
            Objects.requireNonNull(json, "tokenizer");
            this.tokenizerBytes = readAll(json, "tokenizer stream");
            this.tokenizerPath = null;
            this.tokenizerName = "tokenizer stream";
            return this;
        }

        /** Name of the encoder tensor holding token vectors {@code [batch, seq, hidden]}; default {@code last_hidden_state}. */
        public Builder encoderOutput(String name) {
            this.encoderOutput = name;
            return this;
        }

        /** Default {@link Pooling#MEAN}. */
        public Builder pooling(Pooling pooling) {
            this.pooling = pooling;
            return this;
        }

        /** L2-normalise the pooled vector before the head; default false. */
        public Builder normalize(boolean normalize) {
            this.normalize = normalize;
            return this;
        }

        /**
         * The linear head: {@code logits = pooled · weightsᵀ + bias}.
         *
         * @param weights {@code [numLabels][hidden]}
         * @param bias    {@code [numLabels]}
         */
        public Builder head(float[][] weights, float[] bias) {
            this.weights = weights;
            this.bias = bias;
            return this;
        }

        /** Weights, bias and labels of a fitted head. */
        public Builder head(LinearHead head) {
            Objects.requireNonNull(head, "head");
            this.weights = head.weights();
            this.bias = head.bias();
            this.labels = head.labels();
            return this;
        }

        /** Label names in id order ({@code id2label}). */
        public Builder labels(List<String> labels) {
            this.labels = labels;
            return this;
        }

        /** {@value FusedClassifierExporter#SINGLE_LABEL} (default) or {@value FusedClassifierExporter#MULTI_LABEL}. */
        public Builder problemType(String problemType) {
            this.problemType = problemType;
            return this;
        }

        /** Longest token sequence callers should feed; written to config.json. Default 512. */
        public Builder maxLength(int maxLength) {
            this.maxLength = maxLength;
            return this;
        }

        /** Extra entries written under {@code "parapet"} in config.json (e.g. provenance, fingerprints). */
        public Builder metadata(Map<String, String> metadata) {
            this.metadata = metadata;
            return this;
        }

        /**
         * Reads and checks everything, and splices the head onto the encoder graph.
         *
         * @throws IllegalArgumentException listing every invalid setting by name
         * @throws UncheckedIOException     if an existing encoder or tokenizer file cannot be read
         */
        public FusedClassifierExporter build() {
            List<String> problems = new ArrayList<>();

            ModelProto model = OnnxExport.loadEncoder(encoderBytes, encoderPath, encoderName, problems);
            JsonObject tok = OnnxExport.loadTokenizer(tokenizerBytes, tokenizerPath, tokenizerName, problems);

            if (encoderOutput == null || encoderOutput.isBlank()) {
                problems.add("encoderOutput must name the encoder's token-vector output, got " + quote(encoderOutput));
            }
            if (pooling == null) {
                problems.add("pooling must be MEAN or CLS, got null");
            }
            if (!SINGLE_LABEL.equals(problemType) && !MULTI_LABEL.equals(problemType)) {
                problems.add("problemType must be \"" + SINGLE_LABEL + "\" or \"" + MULTI_LABEL + "\", got " + quote(problemType));
            }
            if (maxLength < 1) {
                problems.add("maxLength must be >= 1, got " + maxLength);
            }
            Map<String, String> meta = new LinkedHashMap<>();
            if (metadata == null) {
                problems.add("metadata must not be null (use an empty map)");
            } else {
                for (Map.Entry<String, String> e : metadata.entrySet()) {
                    if (e.getKey() == null || e.getValue() == null) {
                        problems.add("metadata must not hold null keys or values, got " + e.getKey() + "=" + e.getValue());
                    } else {
                        meta.put(e.getKey(), e.getValue());
                    }
                }
            }

            int hidden = checkHead(problems);
            checkLabels(problems);

            int opset = -1;
            if (model != null) {
                opset = defaultOpset(model);
                if (opset < 1) {
                    problems.add(encoderName + " imports no default-domain (ai.onnx) opset; expected e.g. opset 11");
                }
                if (encoderOutput != null && !encoderOutput.isBlank()) {
                    checkGraph(model.getGraph(), hidden, problems);
                }
            }

            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("Invalid FusedClassifierExporter settings:\n - " + String.join("\n - ", problems));
            }

            int numLabels = weights.length;
            ModelProto fusedModel = new HeadSplicer(model, opset, encoderOutput, pooling, normalize, weights, bias,
                    labels, problemType).splice();
            tok.add("truncation", JsonNull.INSTANCE);
            tok.add("padding", JsonNull.INSTANCE);
            JsonObject cfg = config(hidden, numLabels, meta);
            return new FusedClassifierExporter(fusedModel, tok, cfg, List.copyOf(labels), hidden, pooling, normalize);
        }

        private JsonObject config(int hidden, int numLabels, Map<String, String> meta) {
            JsonObject cfg = new JsonObject();
            JsonArray arch = new JsonArray();
            arch.add(ARCHITECTURE);
            cfg.add("architectures", arch);
            cfg.addProperty("model_type", MODEL_TYPE);
            cfg.addProperty("problem_type", problemType);
            JsonObject id2label = new JsonObject();
            JsonObject label2id = new JsonObject();
            for (int i = 0; i < labels.size(); i++) {
                id2label.addProperty(Integer.toString(i), labels.get(i));
                label2id.addProperty(labels.get(i), i);
            }
            cfg.add("id2label", id2label);
            cfg.add("label2id", label2id);
            cfg.addProperty("num_labels", numLabels);
            cfg.addProperty("hidden_size", hidden);
            cfg.addProperty("max_position_embeddings", maxLength);
            cfg.addProperty("max_length", maxLength);
            cfg.addProperty("pooling", pooling.configName());
            cfg.addProperty("normalize", normalize);
            JsonObject parapet = new JsonObject();
            meta.forEach(parapet::addProperty);
            cfg.add("parapet", parapet);
            return cfg;
        }

        /** Checks weights and bias; returns the hidden size (weights' column count) or -1 if unknown. */
        private int checkHead(List<String> problems) {
            if (weights == null) {
                problems.add("head weights are required: call head(float[][] weights, float[] bias) or head(LinearHead)");
                if (bias == null) {
                    problems.add("head bias is required");
                }
                return -1;
            }
            if (weights.length == 0) {
                problems.add("head weights must have one row per label, got 0 rows");
                return -1;
            }
            int hidden = -1;
            for (int r = 0; r < weights.length; r++) {
                float[] row = weights[r];
                if (row == null || row.length == 0) {
                    problems.add("head weights row " + r + " is null or empty");
                    return -1;
                }
                if (hidden >= 0 && row.length != hidden) {
                    problems.add("head weights rows must all have the hidden size: row 0 has " + hidden
                            + " columns, row " + r + " has " + row.length);
                    return -1;
                }
                hidden = row.length;
                for (float v : row) {
                    if (!Float.isFinite(v)) {
                        problems.add("head weights row " + r + " holds a non-finite value " + v);
                        break;
                    }
                }
            }
            if (bias == null) {
                problems.add("head bias is required: expected " + weights.length + " entries (one per label)");
            } else {
                if (bias.length != weights.length) {
                    problems.add("head bias has " + bias.length + " entries but head weights has " + weights.length
                            + " rows; expected one bias per label");
                }
                for (float v : bias) {
                    if (!Float.isFinite(v)) {
                        problems.add("head bias holds a non-finite value " + v);
                        break;
                    }
                }
            }
            return hidden;
        }

        private void checkLabels(List<String> problems) {
            if (labels == null) {
                problems.add("labels are required: call labels(List) with one name per head weights row (id2label order)");
                return;
            }
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < labels.size(); i++) {
                String l = labels.get(i);
                if (l == null || l.isBlank()) {
                    problems.add("labels[" + i + "] is null or blank");
                } else if (!seen.add(l)) {
                    problems.add("labels must be unique, " + quote(l) + " appears twice");
                }
            }
            if (weights != null && weights.length != labels.size()) {
                problems.add("labels has " + labels.size() + " entries but head weights has " + weights.length
                        + " rows; expected one weights row per label");
            }
            if (SINGLE_LABEL.equals(problemType) && labels.size() < 2) {
                problems.add("labels: a " + SINGLE_LABEL + " head needs at least 2 labels, got " + labels.size());
            }
            if (labels.isEmpty()) {
                problems.add("labels must not be empty");
            }
        }

        private void checkGraph(GraphProto graph, int hidden, List<String> problems) {
            Set<String> names = new HashSet<>();
            for (ValueInfoProto v : graph.getInputList()) {
                names.add(v.getName());
            }
            for (TensorProto t : graph.getInitializerList()) {
                names.add(t.getName());
            }
            boolean produced = false;
            for (NodeProto n : graph.getNodeList()) {
                names.add(n.getName());
                names.addAll(n.getOutputList());
                produced |= n.getOutputList().contains(encoderOutput);
            }
            boolean isGraphInput = graph.getInputList().stream().anyMatch(v -> v.getName().equals(encoderOutput));
            if (!produced && !isGraphInput) {
                List<String> outs = graph.getOutputList().stream().map(ValueInfoProto::getName).toList();
                problems.add("encoderOutput " + quote(encoderOutput) + " is not a tensor of " + encoderName
                        + "; its graph outputs are " + outs);
                return;
            }
            if (pooling == Pooling.MEAN && graph.getInputList().stream().noneMatch(v -> v.getName().equals(ATTENTION_MASK))) {
                problems.add("pooling MEAN needs an input named \"" + ATTENTION_MASK + "\" in " + encoderName
                        + "; its inputs are " + graph.getInputList().stream().map(ValueInfoProto::getName).toList());
            }
            ValueInfoProto info = valueInfo(graph, encoderOutput);
            if (info != null && info.getType().hasTensorType()) {
                TypeProto.Tensor tt = info.getType().getTensorType();
                if (tt.getElemType() != 0 && tt.getElemType() != FLOAT) {
                    problems.add("encoderOutput " + quote(encoderOutput) + " has element type "
                            + TensorProto.DataType.forNumber(tt.getElemType()) + "; expected FLOAT");
                }
                if (tt.hasShape()) {
                    TensorShapeProto shape = tt.getShape();
                    if (shape.getDimCount() != 3) {
                        problems.add("encoderOutput " + quote(encoderOutput) + " has rank " + shape.getDimCount()
                                + "; expected [batch, sequence, hidden]");
                    } else if (shape.getDim(2).hasDimValue() && hidden > 0 && shape.getDim(2).getDimValue() != hidden) {
                        problems.add("head weights have " + hidden + " columns but encoderOutput " + quote(encoderOutput)
                                + " of " + encoderName + " has hidden size " + shape.getDim(2).getDimValue()
                                + "; expected weights of shape [numLabels][" + shape.getDim(2).getDimValue() + "]");
                    }
                }
            }
            if (names.contains(LOGITS)) {
                problems.add(encoderName + " already has a tensor named \"" + LOGITS + "\"; expected a bare encoder, not a classifier");
            }
            for (String n : names) {
                if (n.startsWith(NAME_PREFIX)) {
                    problems.add(encoderName + " already holds names starting with \"" + NAME_PREFIX
                            + "\" (" + n + "); expected a bare encoder, not a fused export");
                    break;
                }
            }
        }
    }

    private static String quote(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }

    /** Appends pooling, optional normalisation and the linear head to an encoder graph. */
    private static final class HeadSplicer extends OnnxExport.Splicer {
        private final Pooling pooling;
        private final boolean normalize;
        private final float[][] weights;
        private final float[] bias;
        private final List<String> labels;
        private final String problemType;

        HeadSplicer(ModelProto model, int opset, String hiddenStates, Pooling pooling, boolean normalize,
                float[][] weights, float[] bias, List<String> labels, String problemType) {
            super(model, opset, hiddenStates);
            this.pooling = pooling;
            this.normalize = normalize;
            this.weights = weights;
            this.bias = bias;
            this.labels = labels;
            this.problemType = problemType;
        }

        ModelProto splice() {
            String pooled = pooling == Pooling.MEAN ? meanPool() : clsPool();
            if (normalize) {
                pooled = l2Normalize(pooled);
            }
            int numLabels = weights.length;
            int hidden = weights[0].length;
            // Stored transposed, [hidden, numLabels], so the head is a plain MatMul on [batch, hidden].
            float[] wt = new float[hidden * numLabels];
            for (int r = 0; r < numLabels; r++) {
                for (int j = 0; j < hidden; j++) {
                    wt[j * numLabels + r] = weights[r][j];
                }
            }
            graph.addInitializer(floatTensor(p("weight"), new long[] {hidden, numLabels}, wt));
            graph.addInitializer(floatTensor(p("bias"), new long[] {numLabels}, bias));
            node("MatMul", "MatMul", List.of(pooled, p("weight")), p("projected"));
            node("Add", "Add", List.of(p("projected"), p("bias")), LOGITS);

            Map<String, String> props = new LinkedHashMap<>();
            props.put("parapet.architecture", ARCHITECTURE);
            props.put("parapet.pooling", pooling.configName());
            props.put("parapet.normalize", Boolean.toString(normalize));
            props.put("parapet.problem_type", problemType);
            props.put("parapet.id2label", new Gson().toJson(labels));
            return finish(numLabels, props);
        }

        /** sum(h * mask, seq) / max(sum(mask, seq), 1e-9): sentence-transformers' mean pooling. */
        private String meanPool() {
            node("Cast", "Cast", List.of(ATTENTION_MASK), p("mask"), intAttr("to", FLOAT));
            unsqueeze(p("mask"), p("mask_expanded"), 2);
            node("Mul", "MaskHidden", List.of(hiddenStates, p("mask_expanded")), p("masked_hidden"));
            reduce("ReduceSum", p("masked_hidden"), p("summed"), 1, false);
            reduce("ReduceSum", p("mask"), p("token_count"), 1, true);
            graph.addInitializer(floatTensor(p("min_token_count"), new long[0], new float[] {MIN_TOKEN_COUNT}));
            node("Max", "ClampCount", List.of(p("token_count"), p("min_token_count")), p("token_count_clamped"));
            node("Div", "MeanPool", List.of(p("summed"), p("token_count_clamped")), p("pooled"));
            return p("pooled");
        }

        /** h[:, 0, :]; a scalar index drops the sequence axis. */
        private String clsPool() {
            graph.addInitializer(longTensor(p("cls_index"), new long[0], new long[] {0}));
            node("Gather", "ClsPool", List.of(hiddenStates, p("cls_index")), p("pooled"), intAttr("axis", 1));
            return p("pooled");
        }

        /** x / max(||x||₂, 1e-12), like torch.nn.functional.normalize. */
        private String l2Normalize(String x) {
            node("Mul", "Square", List.of(x, x), p("squared"));
            reduce("ReduceSum", p("squared"), p("sum_squares"), 1, true);
            node("Sqrt", "Norm", List.of(p("sum_squares")), p("norm"));
            graph.addInitializer(floatTensor(p("min_norm"), new long[0], new float[] {MIN_NORM}));
            node("Max", "ClampNorm", List.of(p("norm"), p("min_norm")), p("norm_clamped"));
            node("Div", "Normalize", List.of(x, p("norm_clamped")), p("pooled_normalized"));
            return p("pooled_normalized");
        }
    }
}
