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

    /** Width of the concatenated pooled vector the first layer reads. */
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
            }
            if (hidden > 0 && poolings != null && !layers.isEmpty() && layers.get(0).in() != hidden * poolings.size()) {
                problems.add("layer 0 takes " + layers.get(0).in() + " inputs but " + poolings.size() + " pooling(s) of the "
                        + hidden + "-wide encoder output give " + (hidden * poolings.size()));
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
            cfg.addProperty("hidden_size", features / poolings.size());
            cfg.addProperty("max_position_embeddings", maxLength);
            cfg.addProperty("max_length", maxLength);
            JsonArray pool = new JsonArray();
            poolings.forEach(p -> pool.add(p.configName()));
            cfg.add("pooling", pool);
            cfg.addProperty("normalize", normalize);
            JsonObject parapet = new JsonObject();
            metadata.forEach(parapet::addProperty);
            cfg.add("parapet", parapet);
            return cfg;
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
        private final Builder settings;
        private String maskFloat;
        private String mask3;

        Splicer(ModelProto model, int opset, String hiddenStates, Builder settings) {
            super(model, opset, hiddenStates);
            this.settings = settings;
        }

        ModelProto splice() {
            List<String> parts = new ArrayList<>();
            for (TokenPooling pooling : settings.poolings) {
                String pooled = switch (pooling) {
                    case MEAN -> meanPool();
                    case CLS -> clsPool();
                    case MAX -> maxPool();
                };
                parts.add(settings.normalize ? l2Normalize(pooled, pooling.configName()) : pooled);
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
            props.put("parapet.problem_type", FusedClassifierExporter.SINGLE_LABEL);
            props.put("parapet.id2label", new Gson().toJson(settings.labels));
            return finish(2, props);
        }

        private void ensureMask() {
            if (maskFloat == null) {
                maskFloat = p("mask");
                mask3 = p("mask_expanded");
                node("Cast", "Cast_mask", List.of(ATTENTION_MASK), maskFloat, intAttr("to", FLOAT));
                unsqueeze(maskFloat, mask3, 2);
            }
        }

        private String meanPool() {
            ensureMask();
            node("Mul", "Mean_masked", List.of(hiddenStates, mask3), p("mean_masked"));
            reduce("ReduceSum", p("mean_masked"), p("mean_sum"), 1, false);
            reduce("ReduceSum", maskFloat, p("token_count"), 1, true);
            graph.addInitializer(floatTensor(p("min_token_count"), new long[0], new float[] {MIN_TOKEN_COUNT}));
            node("Max", "Mean_clamp", List.of(p("token_count"), p("min_token_count")), p("token_count_clamped"));
            node("Div", "Mean_pool", List.of(p("mean_sum"), p("token_count_clamped")), p("pooled_mean"));
            return p("pooled_mean");
        }

        private String clsPool() {
            graph.addInitializer(longTensor(p("cls_index"), new long[0], new long[] {0}));
            node("Gather", "Cls_pool", List.of(hiddenStates, p("cls_index")), p("pooled_cls"), intAttr("axis", 1));
            return p("pooled_cls");
        }

        /** max over kept tokens: padding gets (mask - 1) * 1e9 added, kept tokens get exactly 0 added. */
        private String maxPool() {
            ensureMask();
            graph.addInitializer(floatTensor(p("one"), new long[0], new float[] {1f}));
            graph.addInitializer(floatTensor(p("masked_offset"), new long[0], new float[] {MASKED_OFFSET}));
            node("Sub", "Max_mask_minus_one", List.of(mask3, p("one")), p("mask_minus_one"));
            node("Mul", "Max_offset", List.of(p("mask_minus_one"), p("masked_offset")), p("max_offset"));
            node("Add", "Max_masked", List.of(hiddenStates, p("max_offset")), p("max_masked"));
            reduce("ReduceMax", p("max_masked"), p("pooled_max"), 1, false);
            return p("pooled_max");
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
