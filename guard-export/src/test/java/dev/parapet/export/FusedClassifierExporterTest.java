package dev.parapet.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FusedClassifierExporterTest {

    private static final int HIDDEN = 384;
    private static final float TOLERANCE = 1e-4f;

    /** "hello world" as the MiniLM tokenizer writes it. */
    private static final long[] HELLO_WORLD = {101, 7592, 2088, 102};
    /** "the quick brown fox jumps over" */
    private static final long[] QUICK_FOX = {101, 1996, 4248, 2829, 4419, 14523, 2058, 102};

    @TempDir
    static Path tmp;

    private static OrtEnvironment env;
    private static OrtSession original;
    private static OrtSession meanSession;
    private static OrtSession clsSession;
    private static OrtSession normalizedSession;
    private static LinearHead binaryHead;
    private static LinearHead threeLabelHead;
    private static Path meanDir;
    private static Path clsDir;

    @BeforeAll
    static void exportOnce() throws Exception {
        env = OrtEnvironment.getEnvironment();
        binaryHead = TestSupport.randomHead(42, 2, HIDDEN, List.of("safe", "unsafe"));
        threeLabelHead = TestSupport.randomHead(7, 3, HIDDEN, List.of("insult", "threat", "profanity"));

        meanDir = exporter(binaryHead, Pooling.MEAN, false)
                .metadata(Map.of("source", "unit-test", "fingerprint", "abc"))
                .maxLength(256)
                .build().export(tmp.resolve("mean"));
        clsDir = exporter(threeLabelHead, Pooling.CLS, false)
                .problemType(FusedClassifierExporter.MULTI_LABEL)
                .build().export(tmp.resolve("cls"));
        Path normalizedDir = exporter(binaryHead, Pooling.MEAN, true).build().export(tmp.resolve("mean-normalized"));

        original = env.createSession(TestSupport.encoderBytes(), new OrtSession.SessionOptions());
        meanSession = env.createSession(meanDir.resolve("model.onnx").toString(), new OrtSession.SessionOptions());
        clsSession = env.createSession(clsDir.resolve("model.onnx").toString(), new OrtSession.SessionOptions());
        normalizedSession = env.createSession(normalizedDir.resolve("model.onnx").toString(), new OrtSession.SessionOptions());
    }

    @AfterAll
    static void close() throws OrtException {
        for (OrtSession s : new OrtSession[] {original, meanSession, clsSession, normalizedSession}) {
            if (s != null) {
                s.close();
            }
        }
    }

    private static FusedClassifierExporter.Builder exporter(LinearHead head, Pooling pooling, boolean normalize) {
        return FusedClassifierExporter.builder()
                .encoder(new ByteArrayInputStream(TestSupport.encoderBytes()))
                .tokenizer(new ByteArrayInputStream(TestSupport.tokenizerBytes()))
                .head(head)
                .pooling(pooling)
                .normalize(normalize);
    }

    /** Original encoder through ORT, pooling and head in Java. */
    private static float[][] expectedLogits(long[][] ids, long[][] mask, LinearHead head, Pooling pooling, boolean normalize)
            throws OrtException {
        float[][][] hidden = (float[][][]) TestSupport.run(env, original, ids, mask);
        float[][] logits = new float[ids.length][];
        for (int b = 0; b < ids.length; b++) {
            logits[b] = head.logits(TestSupport.pool(hidden[b], mask[b], pooling, normalize));
        }
        return logits;
    }

    private static float[][] fusedLogits(OrtSession session, long[][] ids, long[][] mask) throws OrtException {
        return (float[][]) TestSupport.run(env, session, ids, mask);
    }

    private static void assertClose(float[][] actual, float[][] expected) {
        assertThat(actual.length).isEqualTo(expected.length);
        for (int b = 0; b < expected.length; b++) {
            assertThat(actual[b]).hasSameSizeAs(expected[b]);
            for (int k = 0; k < expected[b].length; k++) {
                assertThat(actual[b][k]).as("row %d logit %d", b, k).isCloseTo(expected[b][k], within(TOLERANCE));
            }
        }
    }

    private static long[][] paddedBatch() {
        long[] shortPadded = new long[QUICK_FOX.length];
        System.arraycopy(HELLO_WORLD, 0, shortPadded, 0, HELLO_WORLD.length);
        return new long[][] {shortPadded, QUICK_FOX};
    }

    private static long[][] paddedMask() {
        long[][] mask = TestSupport.onesLike(paddedBatch());
        for (int s = HELLO_WORLD.length; s < QUICK_FOX.length; s++) {
            mask[0][s] = 0;
        }
        return mask;
    }

    @Test
    void should_expose_original_inputs_and_only_a_dynamic_batch_logits_output() throws OrtException {
        assertThat(meanSession.getInputNames()).containsExactlyInAnyOrder("input_ids", "attention_mask", "token_type_ids");
        assertThat(meanSession.getOutputNames()).containsExactly("logits");
        NodeInfo out = meanSession.getOutputInfo().get("logits");
        TensorInfo info = (TensorInfo) out.getInfo();
        assertThat(info.getShape()).containsExactly(-1L, 2L);
        assertThat(((TensorInfo) clsSession.getOutputInfo().get("logits").getInfo()).getShape()).containsExactly(-1L, 3L);
    }

    @Test
    void should_match_java_mean_pooling_and_head_within_1e4() throws OrtException {
        long[][] single = {HELLO_WORLD};
        assertClose(fusedLogits(meanSession, single, TestSupport.onesLike(single)),
                expectedLogits(single, TestSupport.onesLike(single), binaryHead, Pooling.MEAN, false));

        long[][] ids = paddedBatch();
        long[][] mask = paddedMask();
        assertClose(fusedLogits(meanSession, ids, mask), expectedLogits(ids, mask, binaryHead, Pooling.MEAN, false));
    }

    @Test
    void should_match_java_cls_pooling_and_head_within_1e4() throws OrtException {
        long[][] single = {QUICK_FOX};
        assertClose(fusedLogits(clsSession, single, TestSupport.onesLike(single)),
                expectedLogits(single, TestSupport.onesLike(single), threeLabelHead, Pooling.CLS, false));

        long[][] ids = paddedBatch();
        long[][] mask = paddedMask();
        assertClose(fusedLogits(clsSession, ids, mask), expectedLogits(ids, mask, threeLabelHead, Pooling.CLS, false));
    }

    @Test
    void should_match_java_normalized_mean_pooling_and_head_within_1e4() throws OrtException {
        long[][] ids = paddedBatch();
        long[][] mask = paddedMask();
        float[][] fused = fusedLogits(normalizedSession, ids, mask);
        assertClose(fused, expectedLogits(ids, mask, binaryHead, Pooling.MEAN, true));
        // Guards against the normalisation silently not being wired in: the un-normalised model differs.
        assertThat(fused[0][0]).isNotCloseTo(fusedLogits(meanSession, ids, mask)[0][0], within(1e-3f));
    }

    /**
     * This encoder is dynamically quantised per tensor (DynamicQuantizeLinear picks one scale over the
     * whole activation, padded positions and other rows included), so the encoder itself gives a short
     * text slightly different token vectors once it is padded or batched (cosine ~0.985 on "hello
     * world"). A padded row therefore cannot equal its unpadded run to 1e-4 for this encoder; what the
     * fused graph must guarantee is that it adds nothing to that gap: its padded-vs-unpadded change is
     * exactly the change of Java pooling over the original encoder. The exact 1e-4 padded == unpadded
     * check runs on a per-token (unquantised) encoder in {@link SyntheticEncoderTest}.
     */
    @Test
    void should_add_no_padding_effect_beyond_the_quantized_encoders_own() throws OrtException {
        long[][] single = {HELLO_WORLD};
        long[][] singleMask = TestSupport.onesLike(single);
        for (Object[] c : new Object[][] {{meanSession, binaryHead, Pooling.MEAN}, {clsSession, threeLabelHead, Pooling.CLS}}) {
            OrtSession session = (OrtSession) c[0];
            LinearHead head = (LinearHead) c[1];
            Pooling pooling = (Pooling) c[2];
            float[] fusedAlone = fusedLogits(session, single, singleMask)[0];
            float[] fusedPadded = fusedLogits(session, paddedBatch(), paddedMask())[0];
            float[] javaAlone = expectedLogits(single, singleMask, head, pooling, false)[0];
            float[] javaPadded = expectedLogits(paddedBatch(), paddedMask(), head, pooling, false)[0];
            for (int k = 0; k < fusedAlone.length; k++) {
                assertThat(fusedPadded[k] - fusedAlone[k]).as("%s logit %d", pooling, k)
                        .isCloseTo(javaPadded[k] - javaAlone[k], within(2 * TOLERANCE));
            }
        }
    }

    @Test
    void should_append_prefixed_opset11_nodes_and_keep_the_encoder() throws IOException {
        ModelProto source = ModelProto.parseFrom(TestSupport.encoderBytes());
        ModelProto fused;
        try (InputStream in = Files.newInputStream(meanDir.resolve("model.onnx"))) {
            fused = ModelProto.parseFrom(in);
        }
        assertThat(fused.getIrVersion()).isEqualTo(source.getIrVersion());
        assertThat(fused.getOpsetImportList()).isEqualTo(source.getOpsetImportList());
        assertThat(fused.getGraph().getInputList()).isEqualTo(source.getGraph().getInputList());
        assertThat(fused.getGraph().getNodeList().subList(0, source.getGraph().getNodeCount()))
                .isEqualTo(source.getGraph().getNodeList());

        List<NodeProto> appended = fused.getGraph().getNodeList().subList(source.getGraph().getNodeCount(),
                fused.getGraph().getNodeCount());
        assertThat(appended).extracting(NodeProto::getOpType)
                .containsExactly("Cast", "Unsqueeze", "Mul", "ReduceSum", "ReduceSum", "Max", "Div", "MatMul", "Add");
        assertThat(appended).allSatisfy(n -> assertThat(n.getName()).startsWith(FusedClassifierExporter.NAME_PREFIX));
        // Opset 11: axes travel as attributes, so these nodes have a single input.
        assertThat(appended).filteredOn(n -> n.getOpType().equals("Unsqueeze") || n.getOpType().equals("ReduceSum"))
                .allSatisfy(n -> {
                    assertThat(n.getInputCount()).isEqualTo(1);
                    assertThat(n.getAttributeList()).anySatisfy(a -> assertThat(a.getName()).isEqualTo("axes"));
                });
        assertThat(fused.getGraph().getInitializerList().subList(source.getGraph().getInitializerCount(),
                fused.getGraph().getInitializerCount()))
                .allSatisfy(t -> assertThat(t.getName()).startsWith(FusedClassifierExporter.NAME_PREFIX));

        assertThat(fused.getGraph().getOutputCount()).isEqualTo(1);
        TensorShapeProto shape = fused.getGraph().getOutput(0).getType().getTensorType().getShape();
        assertThat(fused.getGraph().getOutput(0).getName()).isEqualTo("logits");
        assertThat(shape.getDim(0).hasDimParam()).isTrue();
        assertThat(shape.getDim(1).getDimValue()).isEqualTo(2);
    }

    @Test
    void should_write_hugging_face_config() throws IOException {
        JsonObject cfg = JsonParser.parseString(Files.readString(meanDir.resolve("config.json"))).getAsJsonObject();
        assertThat(cfg.getAsJsonArray("architectures").get(0).getAsString()).isEqualTo("ParapetFusedClassifier");
        assertThat(cfg.get("model_type").getAsString()).isEqualTo("parapet-fused");
        assertThat(cfg.get("problem_type").getAsString()).isEqualTo("single_label_classification");
        assertThat(cfg.getAsJsonObject("id2label").get("0").getAsString()).isEqualTo("safe");
        assertThat(cfg.getAsJsonObject("id2label").get("1").getAsString()).isEqualTo("unsafe");
        assertThat(cfg.getAsJsonObject("label2id").get("unsafe").getAsInt()).isEqualTo(1);
        assertThat(cfg.get("num_labels").getAsInt()).isEqualTo(2);
        assertThat(cfg.get("hidden_size").getAsInt()).isEqualTo(HIDDEN);
        assertThat(cfg.get("max_position_embeddings").getAsInt()).isEqualTo(256);
        assertThat(cfg.get("max_length").getAsInt()).isEqualTo(256);
        assertThat(cfg.get("pooling").getAsString()).isEqualTo("mean");
        assertThat(cfg.get("normalize").getAsBoolean()).isFalse();
        assertThat(cfg.getAsJsonObject("parapet").get("source").getAsString()).isEqualTo("unit-test");
        assertThat(cfg.getAsJsonObject("parapet").get("fingerprint").getAsString()).isEqualTo("abc");

        JsonObject cls = JsonParser.parseString(Files.readString(clsDir.resolve("config.json"))).getAsJsonObject();
        assertThat(cls.get("problem_type").getAsString()).isEqualTo("multi_label_classification");
        assertThat(cls.get("pooling").getAsString()).isEqualTo("cls");
        assertThat(cls.get("max_length").getAsInt()).isEqualTo(512);
        assertThat(cls.getAsJsonObject("id2label").keySet()).containsExactly("0", "1", "2");
        assertThat(cls.getAsJsonObject("parapet").size()).isZero();
    }

    @Test
    void should_write_tokenizer_with_null_truncation_and_padding() throws IOException {
        String text = Files.readString(meanDir.resolve("tokenizer.json"), StandardCharsets.UTF_8);
        JsonObject tok = JsonParser.parseString(text).getAsJsonObject();
        assertThat(tok.has("truncation")).isTrue();
        assertThat(tok.get("truncation").isJsonNull()).isTrue();
        assertThat(tok.has("padding")).isTrue();
        assertThat(tok.get("padding").isJsonNull()).isTrue();
        JsonObject source = JsonParser.parseString(new String(TestSupport.tokenizerBytes(), StandardCharsets.UTF_8))
                .getAsJsonObject();
        source.remove("truncation");
        source.remove("padding");
        tok.remove("truncation");
        tok.remove("padding");
        assertThat(tok).isEqualTo(source);
    }

    @Test
    void should_overwrite_an_existing_export() {
        FusedClassifierExporter exporter = exporter(binaryHead, Pooling.CLS, false).build();
        Path dir = tmp.resolve("twice");
        exporter.export(dir);
        exporter.export(dir);
        assertThat(dir.resolve("model.onnx")).isRegularFile();
        assertThat(dir.resolve("config.json")).isRegularFile();
        assertThat(dir.resolve("tokenizer.json")).isRegularFile();
        assertThat(dir.toFile().list()).containsExactlyInAnyOrder("model.onnx", "config.json", "tokenizer.json");
    }

    // --- validation -------------------------------------------------------------------------------

    @Test
    void should_name_every_missing_setting_at_once() {
        assertThatThrownBy(() -> FusedClassifierExporter.builder().build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("encoder is required")
                .hasMessageContaining("tokenizer is required")
                .hasMessageContaining("head weights are required")
                .hasMessageContaining("labels are required");
    }

    @Test
    void should_reject_weights_rows_that_do_not_match_labels() {
        assertThatThrownBy(() -> exporter(binaryHead, Pooling.MEAN, false)
                .labels(List.of("a", "b", "c")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("labels has 3 entries but head weights has 2 rows");
    }

    @Test
    void should_reject_a_hidden_size_that_differs_from_the_encoder_output() {
        assertThatThrownBy(() -> exporter(TestSupport.randomHead(1, 2, 100, List.of("a", "b")), Pooling.MEAN, false).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("head weights have 100 columns")
                .hasMessageContaining("hidden size 384");
    }

    @Test
    void should_reject_a_bias_of_the_wrong_length_and_a_bad_problem_type() {
        assertThatThrownBy(() -> exporter(binaryHead, Pooling.MEAN, false)
                .head(binaryHead.weights(), new float[3])
                .problemType("regression")
                .maxLength(0)
                .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("head bias has 3 entries")
                .hasMessageContaining("problemType must be")
                .hasMessageContaining("maxLength must be >= 1");
    }

    @Test
    void should_reject_a_missing_encoder_output_naming_the_real_ones() {
        assertThatThrownBy(() -> exporter(binaryHead, Pooling.MEAN, false).encoderOutput("pooler_output").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("encoderOutput \"pooler_output\"")
                .hasMessageContaining("[last_hidden_state]");
    }

    @Test
    void should_reject_a_non_onnx_encoder_file_naming_it() throws IOException {
        Path notOnnx = tmp.resolve("not-a-model.onnx");
        Files.writeString(notOnnx, "{\"this\": \"is json, not protobuf\"}");
        assertThatThrownBy(() -> exporter(binaryHead, Pooling.MEAN, false).encoder(notOnnx).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(notOnnx.toString())
                .hasMessageContaining("not an ONNX model");

        Path missing = tmp.resolve("missing.onnx");
        assertThatThrownBy(() -> exporter(binaryHead, Pooling.MEAN, false).encoder(missing).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("does not exist");

        // A text that protobuf parses without complaint must still be refused.
        assertThatThrownBy(() -> exporter(binaryHead, Pooling.MEAN, false)
                .encoder(new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8))).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("encoder stream");
    }

    @Test
    void should_reject_a_tokenizer_that_is_not_tokenizer_json() throws IOException {
        Path notTokenizer = tmp.resolve("vocab.txt");
        Files.writeString(notTokenizer, "[PAD]\n[UNK]\n");
        assertThatThrownBy(() -> exporter(binaryHead, Pooling.MEAN, false).tokenizer(notTokenizer).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(notTokenizer.toString())
                .hasMessageContaining("tokenizer.json");
    }

    @Test
    void should_refuse_to_fuse_an_already_fused_model() {
        assertThatThrownBy(() -> exporter(binaryHead, Pooling.MEAN, false).encoder(meanDir.resolve("model.onnx")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"logits\"")
                .hasMessageContaining("\"parapet_head/\"");
    }
}
