package dev.parapet.export;

import static org.assertj.core.api.Assertions.assertThat;
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
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs the exporter on a tiny hand-built, unquantised encoder whose token vectors depend only on the
 * token ({@code embedding[id] + typeEmbedding[type]}). That makes padding invariance exact, and lets
 * the same head be spliced into graphs of different opsets (attribute vs input forms of {@code axes}).
 */
class SyntheticEncoderTest {

    private static final int VOCAB = 32;
    private static final int HIDDEN = 8;
    private static final float TOLERANCE = 1e-4f;
    private static final String TOKENIZER = "{\"version\":\"1.0\",\"truncation\":{\"max_length\":8},"
            + "\"padding\":{\"strategy\":{\"Fixed\":8}},\"model\":{\"type\":\"WordPiece\",\"vocab\":{}}}";

    @TempDir
    Path tmp;

    private final float[][] embedding = randomMatrix(1, VOCAB, HIDDEN);
    private final float[][] typeEmbedding = randomMatrix(2, 2, HIDDEN);
    private final LinearHead head = TestSupport.randomHead(3, 3, HIDDEN, List.of("a", "b", "c"));

    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {11, 13, 18})
    void should_give_a_padded_row_the_logits_of_its_unpadded_run_within_1e4(int opset) throws Exception {
        long[][] alone = {{1, 5, 9, 2}};
        long[][] padded = {{1, 5, 9, 2, 0, 0}, {1, 7, 7, 3, 4, 2}};
        long[][] paddedMask = {{1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1}};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (Pooling pooling : Pooling.values()) {
            for (boolean normalize : new boolean[] {false, true}) {
                Path dir = export(opset, pooling, normalize);
                try (OrtSession s = env.createSession(dir.resolve("model.onnx").toString(), new OrtSession.SessionOptions())) {
                    float[][] one = (float[][]) TestSupport.run(env, s, alone, TestSupport.onesLike(alone));
                    float[][] batch = (float[][]) TestSupport.run(env, s, padded, paddedMask);
                    assertClose(batch[0], one[0], pooling + " normalize=" + normalize);
                    assertClose(one[0], javaLogits(alone[0], new long[] {1, 1, 1, 1}, pooling, normalize), "java " + pooling);
                    assertClose(batch[1], javaLogits(padded[1], paddedMask[1], pooling, normalize), "java row 1 " + pooling);
                }
            }
        }
    }

    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {11, 13})
    void should_use_the_axes_form_of_the_encoders_opset(int opset) throws IOException {
        ModelProto fused;
        try (InputStream in = Files.newInputStream(export(opset, Pooling.MEAN, true).resolve("model.onnx"))) {
            fused = ModelProto.parseFrom(in);
        }
        assertThat(fused.getOpsetImport(0).getVersion()).isEqualTo(opset);
        List<NodeProto> axesNodes = fused.getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("Unsqueeze") || n.getOpType().equals("ReduceSum"))
                .toList();
        assertThat(axesNodes).hasSize(4); // mask expand, token sum, count, sum of squares
        for (NodeProto n : axesNodes) {
            boolean attribute = n.getAttributeList().stream().anyMatch(a -> a.getName().equals("axes"));
            assertThat(attribute).as(n.getName()).isEqualTo(opset < 13);
            assertThat(n.getInputCount()).as(n.getName()).isEqualTo(opset < 13 ? 1 : 2);
        }
    }

    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {11})
    void should_give_an_all_masked_row_the_bias_instead_of_nan(int opset) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(export(opset, Pooling.MEAN, true).resolve("model.onnx").toString(),
                new OrtSession.SessionOptions())) {
            float[][] out = (float[][]) TestSupport.run(env, s, new long[][] {{1, 2}}, new long[][] {{0, 0}});
            assertClose(out[0], head.bias(), "all-masked row");
        }
    }

    private float[] javaLogits(long[] ids, long[] mask, Pooling pooling, boolean normalize) {
        float[][] tokens = new float[ids.length][HIDDEN];
        for (int s = 0; s < ids.length; s++) {
            for (int j = 0; j < HIDDEN; j++) {
                tokens[s][j] = embedding[(int) ids[s]][j] + typeEmbedding[0][j];
            }
        }
        return head.logits(TestSupport.pool(tokens, mask, pooling, normalize));
    }

    private static void assertClose(float[] actual, float[] expected, String what) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int k = 0; k < expected.length; k++) {
            assertThat(actual[k]).as("%s logit %d", what, k).isCloseTo(expected[k], within(TOLERANCE));
        }
    }

    private Path export(int opset, Pooling pooling, boolean normalize) {
        return FusedClassifierExporter.builder()
                .encoder(new ByteArrayInputStream(encoder(opset).toByteArray()))
                .tokenizer(new ByteArrayInputStream(TOKENIZER.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .head(head)
                .pooling(pooling)
                .normalize(normalize)
                .build()
                .export(tmp.resolve(opset + "-" + pooling + "-" + normalize));
    }

    /** input_ids/attention_mask/token_type_ids → Gather(embedding) + Gather(typeEmbedding) → last_hidden_state. */
    private ModelProto encoder(int opset) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("synthetic-encoder");
        for (String input : List.of("input_ids", "attention_mask", "token_type_ids")) {
            g.addInput(valueInfo(input, TensorProto.DataType.INT64, dimParam("batch_size"), dimParam("sequence_length")));
        }
        g.addInitializer(floatTensor("word_embeddings", embedding));
        g.addInitializer(floatTensor("token_type_embeddings", typeEmbedding));
        g.addNode(NodeProto.newBuilder().setOpType("Gather").setName("words")
                .addInput("word_embeddings").addInput("input_ids").addOutput("word_vectors"));
        g.addNode(NodeProto.newBuilder().setOpType("Gather").setName("types")
                .addInput("token_type_embeddings").addInput("token_type_ids").addOutput("type_vectors"));
        g.addNode(NodeProto.newBuilder().setOpType("Add").setName("sum")
                .addInput("word_vectors").addInput("type_vectors").addOutput("last_hidden_state"));
        g.addOutput(valueInfo("last_hidden_state", TensorProto.DataType.FLOAT, dimParam("batch_size"),
                dimParam("sequence_length"), TensorShapeProto.Dimension.newBuilder().setDimValue(HIDDEN).build()));
        return ModelProto.newBuilder()
                .setIrVersion(opset <= 11 ? 6 : opset <= 13 ? 7 : 8)
                .setProducerName("parapet-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(g)
                .build();
    }

    private static TensorShapeProto.Dimension dimParam(String name) {
        return TensorShapeProto.Dimension.newBuilder().setDimParam(name).build();
    }

    private static ValueInfoProto valueInfo(String name, TensorProto.DataType type, TensorShapeProto.Dimension... dims) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(type.getNumber())
                        .setShape(TensorShapeProto.newBuilder().addAllDim(List.of(dims))))).build();
    }

    private static TensorProto floatTensor(String name, float[][] m) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT.getNumber())
                .addDims(m.length).addDims(m[0].length);
        for (float[] row : m) {
            for (float v : row) {
                t.addFloatData(v);
            }
        }
        return t.build();
    }

    private static float[][] randomMatrix(long seed, int rows, int cols) {
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
