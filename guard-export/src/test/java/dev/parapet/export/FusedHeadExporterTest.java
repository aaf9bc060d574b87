package dev.parapet.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The head exporter on a tiny unquantised encoder whose token vectors depend only on the token, so
 * a padded row must give exactly its unpadded logits, and a double-precision Java reference of
 * poolings, normalisation, layers and calibration must match within 1e-4.
 */
class FusedHeadExporterTest {
    private static final int VOCAB = 32;
    private static final int HIDDEN = 8;
    private static final String TOKENIZER = "{\"version\":\"1.0\",\"truncation\":{\"max_length\":8},"
            + "\"padding\":{\"strategy\":{\"Fixed\":8}},\"model\":{\"type\":\"WordPiece\",\"vocab\":{}}}";
    private static final List<TokenPooling> POOLINGS = List.of(TokenPooling.CLS, TokenPooling.MEAN, TokenPooling.MAX);

    @TempDir
    Path tmp;

    private final float[][] embedding = random(1, VOCAB, HIDDEN);
    private final FusedHeadExporter.DenseLayer layer0 = dense(2, 3 * HIDDEN, 5, FusedHeadExporter.Activation.RELU);
    private final FusedHeadExporter.DenseLayer layer1 = dense(3, 5, 4, FusedHeadExporter.Activation.TANH);
    private final FusedHeadExporter.DenseLayer layer2 = dense(4, 4, 1, FusedHeadExporter.Activation.NONE);

    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {11, 13, 18})
    void should_reproduce_poolings_layers_and_calibration_with_padding(int opset) throws Exception {
        Path dir = export(opset, true);
        long[][] alone = {{1, 5, 9, 2}};
        long[][] padded = {{1, 5, 9, 2, 0, 0}, {1, 7, 7, 3, 4, 2}};
        long[][] mask = {{1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1}};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(dir.resolve("model.onnx").toString(), new OrtSession.SessionOptions())) {
            float[][] one = (float[][]) TestSupport.run(env, s, alone, TestSupport.onesLike(alone));
            float[][] batch = (float[][]) TestSupport.run(env, s, padded, mask);
            assertThat(batch[0][1]).isCloseTo(one[0][1], within(1e-5f));
            double p0 = reference(alone[0], new long[] {1, 1, 1, 1}, true);
            double p1 = reference(padded[1], mask[1], true);
            assertThat(softmax1(one[0])).isCloseTo(p0, within(1e-4));
            assertThat(softmax1(batch[1])).isCloseTo(p1, within(1e-4));
            assertThat(one[0][0]).isCloseTo(-one[0][1], within(1e-6f));
        }
    }

    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {11, 18})
    void should_use_the_axes_form_of_the_encoders_opset(int opset) throws Exception {
        ModelProto fused;
        try (InputStream in = Files.newInputStream(export(opset, false).resolve("model.onnx"))) {
            fused = ModelProto.parseFrom(in);
        }
        NodeProto max = fused.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("ReduceMax")).findFirst().orElseThrow();
        assertThat(max.getAttributeList().stream().anyMatch(a -> a.getName().equals("axes"))).isEqualTo(opset < 18);
        assertThat(max.getInputCount()).isEqualTo(opset < 18 ? 1 : 2);
        assertThat(fused.getOpsetImport(0).getVersion()).isEqualTo(opset);
    }

    @Test
    void should_write_a_two_label_config_with_metadata() throws Exception {
        Path dir = export(11, true);
        String config = Files.readString(dir.resolve("config.json"));
        assertThat(config).contains("\"0\": \"ok\"", "\"1\": \"bad\"", "\"single_label_classification\"", "\"max_length\": 64",
                "\"head\": \"synthetic\"");
        assertThat(Files.readString(dir.resolve("tokenizer.json"))).contains("\"truncation\": null", "\"padding\": null");
    }

    @Test
    void should_check_that_layer_zero_reads_every_pooled_part() {
        assertThatThrownBy(() -> builder(11, true).poolings(List.of(TokenPooling.MEAN)).build())
                .hasMessageContaining("layer 0 takes 24 inputs but 1 pooling(s) of the 8-wide encoder output give 8");
        assertThatThrownBy(() -> builder(11, true).poolings(List.of(TokenPooling.MEAN, TokenPooling.MEAN, TokenPooling.MAX)).build())
                .hasMessageContaining("must not repeat");
    }

    private static double softmax1(float[] logits) {
        return 1.0 / (1.0 + Math.exp(logits[0] - logits[1]));
    }

    /** Double-precision reference written independently of the graph. */
    private double reference(long[] ids, long[] mask, boolean normalize) {
        int n = ids.length;
        double[] features = new double[3 * HIDDEN];
        for (int p = 0; p < 3; p++) {
            double[] v = new double[HIDDEN];
            if (POOLINGS.get(p) == TokenPooling.CLS) {
                for (int j = 0; j < HIDDEN; j++) {
                    v[j] = embedding[(int) ids[0]][j];
                }
            } else {
                java.util.Arrays.fill(v, POOLINGS.get(p) == TokenPooling.MAX ? Double.NEGATIVE_INFINITY : 0);
                int kept = 0;
                for (int s = 0; s < n; s++) {
                    if (mask[s] == 0) {
                        continue;
                    }
                    kept++;
                    for (int j = 0; j < HIDDEN; j++) {
                        double t = embedding[(int) ids[s]][j];
                        v[j] = POOLINGS.get(p) == TokenPooling.MAX ? Math.max(v[j], t) : v[j] + t;
                    }
                }
                if (POOLINGS.get(p) == TokenPooling.MEAN) {
                    for (int j = 0; j < HIDDEN; j++) {
                        v[j] /= kept;
                    }
                }
            }
            double norm = 0;
            for (double x : v) {
                norm += x * x;
            }
            norm = normalize ? Math.sqrt(norm) : 1;
            for (int j = 0; j < HIDDEN; j++) {
                features[p * HIDDEN + j] = v[j] / norm;
            }
        }
        double[] x = features;
        for (FusedHeadExporter.DenseLayer l : List.of(layer0, layer1, layer2)) {
            double[] y = new double[l.out()];
            for (int o = 0; o < l.out(); o++) {
                double s = l.bias()[o];
                for (int i = 0; i < l.in(); i++) {
                    s += l.weights()[o * l.in() + i] * x[i];
                }
                y[o] = switch (l.activation()) {
                    case NONE -> s;
                    case RELU -> Math.max(0, s);
                    case TANH -> Math.tanh(s);
                };
            }
            x = y;
        }
        return 1.0 / (1.0 + Math.exp(-(1.7 * x[0] - 0.4)));
    }

    private FusedHeadExporter.Builder builder(int opset, boolean normalize) {
        return FusedHeadExporter.builder()
                .encoder(new ByteArrayInputStream(encoder(opset).toByteArray()))
                .tokenizer(new ByteArrayInputStream(TOKENIZER.getBytes(StandardCharsets.UTF_8)))
                .poolings(POOLINGS).normalize(normalize)
                .layer(layer0).layer(layer1).layer(layer2)
                .calibration(1.7, -0.4).labels(List.of("ok", "bad")).maxLength(64).metadata(Map.of("head", "synthetic"));
    }

    private Path export(int opset, boolean normalize) {
        return builder(opset, normalize).build().export(tmp.resolve(opset + "-" + normalize));
    }

    private static FusedHeadExporter.DenseLayer dense(long seed, int in, int out, FusedHeadExporter.Activation act) {
        Random rnd = new Random(seed);
        float[] w = new float[in * out];
        float[] b = new float[out];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rnd.nextGaussian() / Math.sqrt(in) * 2);
        }
        for (int i = 0; i < out; i++) {
            b[i] = (float) (rnd.nextGaussian() * 0.1);
        }
        return new FusedHeadExporter.DenseLayer(in, out, w, b, act);
    }

    /** input_ids/attention_mask/token_type_ids → Gather(embedding) → last_hidden_state. */
    private ModelProto encoder(int opset) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("synthetic-encoder");
        for (String input : List.of("input_ids", "attention_mask", "token_type_ids")) {
            g.addInput(valueInfo(input, TensorProto.DataType.INT64, dim("batch_size"), dim("sequence_length")));
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName("word_embeddings").setDataType(TensorProto.DataType.FLOAT.getNumber())
                .addDims(VOCAB).addDims(HIDDEN);
        for (float[] row : embedding) {
            for (float v : row) {
                t.addFloatData(v);
            }
        }
        g.addInitializer(t);
        g.addNode(NodeProto.newBuilder().setOpType("Gather").setName("words").addInput("word_embeddings").addInput("input_ids")
                .addOutput("last_hidden_state"));
        g.addOutput(valueInfo("last_hidden_state", TensorProto.DataType.FLOAT, dim("batch_size"), dim("sequence_length"),
                TensorShapeProto.Dimension.newBuilder().setDimValue(HIDDEN).build()));
        return ModelProto.newBuilder().setIrVersion(opset <= 11 ? 6 : opset <= 13 ? 7 : 8).setProducerName("parapet-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(g).build();
    }

    private static TensorShapeProto.Dimension dim(String name) {
        return TensorShapeProto.Dimension.newBuilder().setDimParam(name).build();
    }

    private static ValueInfoProto valueInfo(String name, TensorProto.DataType type, TensorShapeProto.Dimension... dims) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(TensorShapeProto.newBuilder().addAllDim(List.of(dims)))))
                .build();
    }

    private static float[][] random(long seed, int rows, int cols) {
        Random rnd = new Random(seed);
        float[][] m = new float[rows][cols];
        for (float[] row : m) {
            for (int j = 0; j < cols; j++) {
                row[j] = (float) rnd.nextGaussian();
            }
        }
        return m;
    }
}
