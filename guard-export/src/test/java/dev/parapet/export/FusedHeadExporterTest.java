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
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The head exporter on a tiny unquantised encoder whose token vectors depend only on the token, so
 * a padded row must give exactly its unpadded logits, and a double-precision Java reference of
 * poolings, normalisation, layers and calibration must match within 1e-4. The opening tests use a
 * second synthetic encoder whose token vectors also depend on the token types and on the sum of the
 * kept tokens, so the copied encoder must see the opening's own ids, mask and types; their reference
 * runs that encoder on its own, on the whole text and on the opening built by hand. The lexicon tests
 * append a bag of word pieces computed in Java from the ids; one of them runs the real quantised
 * MiniLM encoder.
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

    /** Opening length of the opening tests: texts below, at and above it. */
    private static final int OPENING = 4;
    private static final List<TokenPooling> OPENING_POOLINGS = List.of(TokenPooling.MAX, TokenPooling.MEAN, TokenPooling.CLS);
    /** Large enough that the weights, not the graph, make up the file, as in a real encoder. */
    private static final int CONTEXT_VOCAB = 4096;
    private static final long[][] TEXTS = {
        {101, 102},
        {101, 7, 102},
        {101, 7, 9, 102},
        {101, 7, 9, 11, 102},
        {101, 7, 9, 11, 13, 15, 102},
        {101, 30, 29, 28, 27, 26, 25, 24, 102},
    };
    private final float[][] contextWords = random(5, CONTEXT_VOCAB, HIDDEN);
    private final float[][] contextTypes = random(6, 2, HIDDEN);
    private final float[][] projection = random(7, HIDDEN, HIDDEN);
    private final FusedHeadExporter.DenseLayer openingLayer0 =
            dense(8, (POOLINGS.size() + OPENING_POOLINGS.size()) * HIDDEN, 5, FusedHeadExporter.Activation.RELU);

    /** Word pieces of the synthetic vocabulary; none is 0 (padding). */
    private static final long[] LEXICON = {5, 9, 30, 17};
    /** Rows with two lexicon ids, none, one of them twice, all four; padded with 0 to one width. */
    private static final long[][] LEXICON_ROWS = {
        {1, 5, 9, 2},
        {1, 7, 3, 4, 2},
        {1, 30, 6, 30, 2},
        {1, 17, 5, 9, 30, 2},
    };
    private final FusedHeadExporter.DenseLayer lexiconLayer0 =
            dense(9, 3 * HIDDEN + LEXICON.length, 5, FusedHeadExporter.Activation.RELU);
    /** Ids of the opening texts (in {@link #TEXTS}): 9 and 13 in the middle of long texts, 26 past the opening. */
    private static final long[] OPENING_LEXICON = {9, 26, 13};

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

    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {11, 13, 18})
    void should_pool_the_opening_encoded_on_its_own(int opset) throws Exception {
        checkOpening(opset, true, new long[0]);
    }

    @Test
    void should_pool_the_opening_of_an_encoder_without_token_types() throws Exception {
        checkOpening(11, false, new long[0]);
    }

    @Test
    void should_share_the_encoder_weights_with_the_opening_copy() throws Exception {
        ModelProto encoder = contextEncoder(13, true);
        Path without = contextBuilder(encoder, false).layer(layer0).layer(layer1).layer(layer2).build().export(tmp.resolve("without"));
        Path with = contextBuilder(encoder, true).layer(openingLayer0).layer(layer1).layer(layer2).build().export(tmp.resolve("with"));
        long plain = Files.size(without.resolve("model.onnx"));
        long opening = Files.size(with.resolve("model.onnx"));
        assertThat(plain).isGreaterThan((long) CONTEXT_VOCAB * HIDDEN * Float.BYTES);
        assertThat((double) opening).isLessThan(1.2 * plain);

        GraphProto graph;
        try (InputStream in = Files.newInputStream(with.resolve("model.onnx"))) {
            graph = ModelProto.parseFrom(in).getGraph();
        }
        List<String> initializers = graph.getInitializerList().stream().map(TensorProto::getName).toList();
        assertThat(initializers).doesNotHaveDuplicates().containsOnlyOnce("word_embeddings", "type_embeddings", "projection");
        List<String> names = graph.getNodeList().stream().map(NodeProto::getName).filter(n -> !n.isEmpty()).toList();
        assertThat(names).doesNotHaveDuplicates();
        List<String> outputs = graph.getNodeList().stream().flatMap(n -> n.getOutputList().stream()).toList();
        assertThat(outputs).doesNotHaveDuplicates().doesNotContainAnyElementsOf(initializers);
        // every encoder node is copied once, reading the opening's inputs and the shared weights
        long copies = graph.getNodeList().stream().filter(n -> n.getOutputList().stream().anyMatch(
                o -> o.startsWith(FusedHeadExporter.NAME_PREFIX + "opening_encoder_"))).count();
        assertThat(copies).isEqualTo(encoder.getGraph().getNodeCount());
        NodeProto words = graph.getNodeList().stream().filter(n -> n.getName().equals(FusedHeadExporter.NAME_PREFIX + "opening_encoder_words"))
                .findFirst().orElseThrow();
        assertThat(words.getInputList()).containsExactly("word_embeddings", FusedHeadExporter.NAME_PREFIX + "opening_input_ids");
    }

    @Test
    void should_describe_the_opening_in_config_and_model_metadata() throws Exception {
        Path dir = contextBuilder(contextEncoder(11, true), true).layer(openingLayer0).layer(layer1).layer(layer2).build()
                .export(tmp.resolve("config"));
        JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        assertThat(config.get("opening_tokens").getAsInt()).isEqualTo(OPENING);
        assertThat(config.getAsJsonArray("opening_pooling").toString()).isEqualTo("[\"max\",\"mean\",\"cls\"]");
        assertThat(config.getAsJsonArray("pooling").toString()).isEqualTo("[\"cls\",\"mean\",\"max\"]");
        assertThat(config.get("hidden_size").getAsInt()).isEqualTo(HIDDEN);
        assertThat(config.getAsJsonObject("parapet").get("head").getAsString()).isEqualTo("synthetic");
        Map<String, String> props;
        try (InputStream in = Files.newInputStream(dir.resolve("model.onnx"))) {
            props = ModelProto.parseFrom(in).getMetadataPropsList().stream()
                    .collect(Collectors.toMap(StringStringEntryProto::getKey, StringStringEntryProto::getValue));
        }
        assertThat(props).containsEntry("parapet.opening_tokens", "4")
                .containsEntry("parapet.opening_pooling", "[\"max\",\"mean\",\"cls\"]")
                .containsEntry("parapet.pooling", "[\"cls\",\"mean\",\"max\"]");

        JsonObject plain = JsonParser.parseString(Files.readString(export(11, true).resolve("config.json"))).getAsJsonObject();
        assertThat(plain.has("opening_tokens")).isFalse();
        assertThat(plain.has("opening_pooling")).isFalse();
    }

    @Test
    void should_reject_invalid_openings() {
        ModelProto encoder = contextEncoder(11, true);
        assertThatThrownBy(() -> openingBuilder(encoder).opening(2, List.of(TokenPooling.MEAN)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("opening tokens must be >= 3").hasMessageContaining("got 2");
        assertThatThrownBy(() -> openingBuilder(encoder).opening(0, List.of(TokenPooling.MEAN)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("opening tokens must be >= 3");
        assertThatThrownBy(() -> openingBuilder(encoder).opening(OPENING, List.of()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("opening poolings must list at least one");
        assertThatThrownBy(() -> openingBuilder(encoder).opening(OPENING, null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("opening poolings must list at least one");
        assertThatThrownBy(() -> openingBuilder(encoder).opening(OPENING, List.of(TokenPooling.MAX, TokenPooling.MAX)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("opening poolings must not repeat");
        assertThatThrownBy(() -> contextBuilder(encoder, true).layer(layer0).layer(layer1).layer(layer2).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("layer 0 takes 24 inputs but 3 pooling(s) and 3 opening pooling(s) of the 8-wide encoder output give 48");
        // back to no opening: the plain 24-input head builds again
        assertThat(contextBuilder(encoder, true).opening(0, List.of()).layer(layer0).layer(layer1).layer(layer2).build().featureSize())
                .isEqualTo(3 * HIDDEN);
    }

    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {11, 13, 18})
    void should_append_the_bag_of_word_pieces_after_the_pooled_parts(int opset) throws Exception {
        Path dir = bareBuilder(opset, true).lexicon(LEXICON).layer(lexiconLayer0).layer(layer1).layer(layer2).build()
                .export(tmp.resolve("lexicon-" + opset));
        int width = Arrays.stream(LEXICON_ROWS).mapToInt(r -> r.length).max().orElseThrow();
        long[][] padded = new long[LEXICON_ROWS.length][width];
        long[][] mask = new long[LEXICON_ROWS.length][width];
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(dir.resolve("model.onnx").toString(), new OrtSession.SessionOptions())) {
            for (int r = 0; r < LEXICON_ROWS.length; r++) {
                long[] ids = LEXICON_ROWS[r];
                System.arraycopy(ids, 0, padded[r], 0, ids.length);
                Arrays.fill(mask[r], 0, ids.length, 1);
                long[] ones = new long[ids.length];
                Arrays.fill(ones, 1);
                double expected = probability(concat(features(ids, ones, true), bag(ids, LEXICON)),
                        List.of(lexiconLayer0, layer1, layer2));
                float[][] alone = (float[][]) TestSupport.run(env, s, new long[][] {ids}, new long[][] {ones});
                assertThat(softmax1(alone[0])).as("row %d", r).isCloseTo(expected, within(1e-4));
            }
            float[][] batch = (float[][]) TestSupport.run(env, s, padded, mask);
            for (int r = 0; r < LEXICON_ROWS.length; r++) {
                double expected = probability(concat(features(padded[r], mask[r], true), bag(padded[r], LEXICON)),
                        List.of(lexiconLayer0, layer1, layer2));
                assertThat(softmax1(batch[r])).as("padded row %d", r).isCloseTo(expected, within(1e-4));
            }
        }
        // the block moves the result, so a graph that dropped or misplaced it would fail above
        long[] row = LEXICON_ROWS[3];
        long[] ones = new long[row.length];
        Arrays.fill(ones, 1);
        double with = probability(concat(features(row, ones, true), bag(row, LEXICON)), List.of(lexiconLayer0, layer1, layer2));
        double without = probability(concat(features(row, ones, true), new double[LEXICON.length]), List.of(lexiconLayer0, layer1, layer2));
        assertThat(Math.abs(with - without)).isGreaterThan(1e-2);
    }

    @Test
    void should_append_the_bag_of_word_pieces_after_the_openings_parts() throws Exception {
        checkOpening(11, true, OPENING_LEXICON);
    }

    @Test
    void should_compute_the_bag_of_word_pieces_beside_the_real_quantized_encoder() throws Exception {
        int hidden = 384;
        long[] lexicon = {2023, 7570, 1012};
        FusedHeadExporter.DenseLayer first = dense(10, hidden + lexicon.length, 4, FusedHeadExporter.Activation.TANH);
        FusedHeadExporter.DenseLayer last = dense(11, 4, 1, FusedHeadExporter.Activation.NONE);
        Path dir = FusedHeadExporter.builder()
                .encoder(new ByteArrayInputStream(TestSupport.encoderBytes()))
                .tokenizer(new ByteArrayInputStream(TestSupport.tokenizerBytes()))
                .poolings(List.of(TokenPooling.MEAN)).normalize(true).lexicon(lexicon)
                .layer(first).layer(last)
                .calibration(1.7, -0.4).labels(List.of("ok", "bad")).build().export(tmp.resolve("minilm-lexicon"));
        long[][] ids = {
            {101, 2023, 2003, 1037, 3231, 1012, 102},
            {101, 2054, 2003, 2115, 2171, 102, 0},
            {101, 7570, 2023, 7570, 102, 0, 0},
        };
        long[][] mask = {{1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 1, 0, 0}};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession fused = env.createSession(dir.resolve("model.onnx").toString(), new OrtSession.SessionOptions());
             OrtSession plain = env.createSession(TestSupport.encoderBytes(), new OrtSession.SessionOptions())) {
            float[][] logits = (float[][]) TestSupport.run(env, fused, ids, mask);
            float[][][] tokens = (float[][][]) TestSupport.run(env, plain, ids, mask);
            for (int r = 0; r < ids.length; r++) {
                float[] pooled = TestSupport.pool(tokens[r], mask[r], Pooling.MEAN, true);
                double[] features = new double[hidden];
                for (int j = 0; j < hidden; j++) {
                    features[j] = pooled[j];
                }
                assertThat(softmax1(logits[r])).as("row %d", r)
                        .isCloseTo(probability(concat(features, bag(ids[r], lexicon)), List.of(first, last)), within(1e-4));
            }
        }
    }

    @Test
    void should_reject_invalid_lexicons() {
        assertThatThrownBy(() -> bareBuilder(11, true).lexicon(new long[] {5, 9, 5, 9, 5}).layer(dense(9, 3 * HIDDEN + 5, 5,
                FusedHeadExporter.Activation.RELU)).layer(layer1).layer(layer2).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lexicon ids must be distinct, got [5, 9] more than once");
        assertThatThrownBy(() -> bareBuilder(11, true).lexicon(new long[] {5, -3, 9, 30}).layer(lexiconLayer0)
                .layer(layer1).layer(layer2).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lexicon ids must be token ids >= 0, got [-3]");
        assertThatThrownBy(() -> builder(11, true).lexicon(LEXICON).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(
                        "layer 0 takes 24 inputs but 3 pooling(s) of the 8-wide encoder output plus a lexicon of 4 id(s) give 28");
        assertThatThrownBy(() -> contextBuilder(contextEncoder(11, true), true).lexicon(OPENING_LEXICON).layer(openingLayer0)
                .layer(layer1).layer(layer2).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("layer 0 takes 48 inputs but 3 pooling(s) and"
                        + " 3 opening pooling(s) of the 8-wide encoder output plus a lexicon of 3 id(s) give 51");
        // a 28-input layer 0 is right with the lexicon, and null or empty ids mean none again
        assertThat(bareBuilder(11, true).lexicon(LEXICON).layer(lexiconLayer0).layer(layer1).layer(layer2).build()
                .featureSize()).isEqualTo(3 * HIDDEN + LEXICON.length);
        assertThat(builder(11, true).lexicon(LEXICON).lexicon(null).build().featureSize()).isEqualTo(3 * HIDDEN);
        assertThat(builder(11, true).lexicon(LEXICON).lexicon(new long[0]).build().featureSize()).isEqualTo(3 * HIDDEN);
    }

    @Test
    void should_describe_the_lexicon_in_config_and_model_metadata() throws Exception {
        long[] ids = LEXICON.clone();
        FusedHeadExporter.Builder b = bareBuilder(11, true).lexicon(ids).layer(lexiconLayer0).layer(layer1).layer(layer2);
        ids[0] = 31; // the builder keeps its own copy
        Path dir = b.build().export(tmp.resolve("lexicon-config"));
        JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        assertThat(config.getAsJsonArray("lexicon").toString()).isEqualTo("[5,9,30,17]");
        assertThat(config.get("hidden_size").getAsInt()).isEqualTo(HIDDEN);
        Map<String, String> props;
        try (InputStream in = Files.newInputStream(dir.resolve("model.onnx"))) {
            props = ModelProto.parseFrom(in).getMetadataPropsList().stream()
                    .collect(Collectors.toMap(StringStringEntryProto::getKey, StringStringEntryProto::getValue));
        }
        assertThat(props).containsEntry("parapet.lexicon", "[5,9,30,17]");

        Path plainDir = export(11, true);
        assertThat(JsonParser.parseString(Files.readString(plainDir.resolve("config.json"))).getAsJsonObject().has("lexicon")).isFalse();
        try (InputStream in = Files.newInputStream(plainDir.resolve("model.onnx"))) {
            assertThat(ModelProto.parseFrom(in).getMetadataPropsList()).noneMatch(e -> e.getKey().equals("parapet.lexicon"));
        }
    }

    @Test
    void should_refuse_encoders_the_opening_cannot_copy() {
        ModelProto encoder = contextEncoder(11, true);
        GraphProto branch = GraphProto.newBuilder().setName("branch").build();
        GraphProto.Builder withIf = encoder.getGraph().toBuilder().addNode(NodeProto.newBuilder().setOpType("If").setName("branching")
                .addInput("mask").addOutput("unused")
                .addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH).setG(branch))
                .addAttribute(AttributeProto.newBuilder().setName("else_branch").setType(AttributeProto.AttributeType.GRAPH).setG(branch)));
        assertThatThrownBy(() -> openingBuilder(encoder.toBuilder().setGraph(withIf).build()).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("opening cannot copy node \"branching\" (If)").hasMessageContaining("subgraph");
        GraphProto.Builder withPositions = encoder.getGraph().toBuilder()
                .addInput(valueInfo("position_ids", TensorProto.DataType.INT64, dim("batch_size"), dim("sequence_length")));
        assertThatThrownBy(() -> openingBuilder(encoder.toBuilder().setGraph(withPositions).build()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("opening cannot feed the encoder inputs [position_ids]");
        ModelProto opset10 = encoder.toBuilder().setOpsetImport(0, OperatorSetIdProto.newBuilder().setDomain("").setVersion(10)).build();
        assertThatThrownBy(() -> openingBuilder(opset10).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("opening needs an encoder of opset 11 or later");
    }

    /**
     * Texts below, at and above {@link #OPENING} tokens, alone and padded into one batch, against a
     * reference that runs the plain encoder on the whole text and on the hand-built opening, then
     * appends the bag of {@code lexicon} word pieces of the whole text when {@code lexicon} is not empty.
     */
    private void checkOpening(int opset, boolean types, long[] lexicon) throws Exception {
        ModelProto encoder = contextEncoder(opset, types);
        FusedHeadExporter.DenseLayer first = lexicon.length == 0 ? openingLayer0
                : dense(8, (POOLINGS.size() + OPENING_POOLINGS.size()) * HIDDEN + lexicon.length, 5, FusedHeadExporter.Activation.RELU);
        Path dir = contextBuilder(encoder, true).lexicon(lexicon).layer(first).layer(layer1).layer(layer2).build()
                .export(tmp.resolve("opening-" + opset + "-" + types + "-" + lexicon.length));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession fused = env.createSession(dir.resolve("model.onnx").toString(), new OrtSession.SessionOptions());
             OrtSession plain = env.createSession(encoder.toByteArray(), new OrtSession.SessionOptions())) {
            int width = Arrays.stream(TEXTS).mapToInt(t -> t.length).max().orElseThrow();
            long[][] padded = new long[TEXTS.length][width];
            long[][] paddedMask = new long[TEXTS.length][width];
            long[][] paddedTypes = new long[TEXTS.length][width];
            double[] alone = new double[TEXTS.length];
            for (int t = 0; t < TEXTS.length; t++) {
                long[] ids = TEXTS[t];
                long[] mask = new long[ids.length];
                Arrays.fill(mask, 1);
                long[] tt = tokenTypes(ids.length);
                System.arraycopy(ids, 0, padded[t], 0, ids.length);
                System.arraycopy(mask, 0, paddedMask[t], 0, ids.length);
                System.arraycopy(tt, 0, paddedTypes[t], 0, ids.length);

                float[][] logits = (float[][]) run(env, fused, new long[][] {ids}, new long[][] {mask}, new long[][] {tt});
                alone[t] = softmax1(logits[0]);
                long[] openingIds = openingOf(ids);
                long[] openingMask = new long[openingIds.length];
                Arrays.fill(openingMask, 1);
                long[] openingTypes = Arrays.copyOf(tt, openingIds.length);
                float[][] whole = ((float[][][]) run(env, plain, new long[][] {ids}, new long[][] {mask}, new long[][] {tt}))[0];
                float[][] opening = ((float[][][]) run(env, plain, new long[][] {openingIds}, new long[][] {openingMask},
                        new long[][] {openingTypes}))[0];
                double[] features = new double[(POOLINGS.size() + OPENING_POOLINGS.size()) * HIDDEN];
                int at = 0;
                for (TokenPooling pooling : POOLINGS) {
                    System.arraycopy(pooled(whole, mask, pooling), 0, features, at, HIDDEN);
                    at += HIDDEN;
                }
                for (TokenPooling pooling : OPENING_POOLINGS) {
                    System.arraycopy(pooled(opening, openingMask, pooling), 0, features, at, HIDDEN);
                    at += HIDDEN;
                }
                assertThat(alone[t]).as("text of %d tokens", ids.length)
                        .isCloseTo(probability(concat(features, bag(ids, lexicon)), List.of(first, layer1, layer2)), within(1e-5));
            }
            float[][] batch = (float[][]) run(env, fused, padded, paddedMask, paddedTypes);
            for (int t = 0; t < TEXTS.length; t++) {
                assertThat(softmax1(batch[t])).as("padded text of %d tokens", TEXTS[t].length).isCloseTo(alone[t], within(1e-5));
            }
        }
    }

    /** The opening rule written out: the first min(len, N) - 1 tokens, then the last real token. */
    private static long[] openingOf(long[] ids) {
        long[] opening = Arrays.copyOf(ids, Math.min(ids.length, OPENING));
        opening[opening.length - 1] = ids[ids.length - 1];
        return opening;
    }

    /** Type 0 for the first half of a text, 1 for the rest, so the opening's types differ from the whole's tail. */
    private static long[] tokenTypes(int length) {
        long[] types = new long[length];
        for (int i = length / 2; i < length; i++) {
            types[i] = 1;
        }
        return types;
    }

    /** Masked pooling of one row in double precision, L2-normalised as the exporter's normalize(true). */
    private static double[] pooled(float[][] tokens, long[] mask, TokenPooling pooling) {
        double[] v = new double[HIDDEN];
        if (pooling == TokenPooling.CLS) {
            for (int j = 0; j < HIDDEN; j++) {
                v[j] = tokens[0][j];
            }
        } else {
            Arrays.fill(v, pooling == TokenPooling.MAX ? Double.NEGATIVE_INFINITY : 0);
            int kept = 0;
            for (int s = 0; s < tokens.length; s++) {
                if (mask[s] == 0) {
                    continue;
                }
                kept++;
                for (int j = 0; j < HIDDEN; j++) {
                    v[j] = pooling == TokenPooling.MAX ? Math.max(v[j], tokens[s][j]) : v[j] + tokens[s][j];
                }
            }
            if (pooling == TokenPooling.MEAN) {
                for (int j = 0; j < HIDDEN; j++) {
                    v[j] /= kept;
                }
            }
        }
        double norm = 0;
        for (double x : v) {
            norm += x * x;
        }
        norm = Math.max(Math.sqrt(norm), 1e-12);
        for (int j = 0; j < HIDDEN; j++) {
            v[j] /= norm;
        }
        return v;
    }

    /** Runs a session on ids, mask and (when it takes them) token types; returns its first output. */
    private static Object run(OrtEnvironment env, OrtSession session, long[][] ids, long[][] mask, long[][] types) throws OrtException {
        long[] shape = {ids.length, ids[0].length};
        List<OnnxTensor> tensors = new ArrayList<>();
        try {
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put("input_ids", tensor(env, ids, shape, tensors));
            inputs.put("attention_mask", tensor(env, mask, shape, tensors));
            if (session.getInputNames().contains("token_type_ids")) {
                inputs.put("token_type_ids", tensor(env, types, shape, tensors));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                return result.get(0).getValue();
            }
        } finally {
            tensors.forEach(OnnxTensor::close);
        }
    }

    private static OnnxTensor tensor(OrtEnvironment env, long[][] rows, long[] shape, List<OnnxTensor> opened) throws OrtException {
        LongBuffer buf = LongBuffer.allocate(rows.length * rows[0].length);
        for (long[] row : rows) {
            buf.put(row);
        }
        buf.flip();
        OnnxTensor t = OnnxTensor.createTensor(env, buf, shape);
        opened.add(t);
        return t;
    }

    private static double softmax1(float[] logits) {
        return 1.0 / (1.0 + Math.exp(logits[0] - logits[1]));
    }

    /** Double-precision reference written independently of the graph. */
    private double reference(long[] ids, long[] mask, boolean normalize) {
        return probability(features(ids, mask, normalize), List.of(layer0, layer1, layer2));
    }

    /** The synthetic encoder's CLS/MEAN/MAX parts of one row, in double precision. */
    private double[] features(long[] ids, long[] mask, boolean normalize) {
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
        return features;
    }

    /** The bag of word pieces as specified: 1 where the row holds the id anywhere, scaled by 1/sqrt(max(1, count)). */
    private static double[] bag(long[] ids, long[] lexicon) {
        double[] v = new double[lexicon.length];
        int count = 0;
        for (int j = 0; j < lexicon.length; j++) {
            for (long id : ids) {
                if (id == lexicon[j]) {
                    v[j] = 1;
                    count++;
                    break;
                }
            }
        }
        double scale = Math.sqrt(Math.max(1, count));
        for (int j = 0; j < v.length; j++) {
            v[j] /= scale;
        }
        return v;
    }

    private static double[] concat(double[] first, double[] second) {
        double[] all = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }

    /** Dense layers and calibration {@code sigmoid(1.7 z - 0.4)} in double precision. */
    private static double probability(double[] features, List<FusedHeadExporter.DenseLayer> layers) {
        double[] x = features;
        for (FusedHeadExporter.DenseLayer l : layers) {
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
        return bareBuilder(opset, normalize).layer(layer0).layer(layer1).layer(layer2);
    }

    /** {@link #builder} without its layers. */
    private FusedHeadExporter.Builder bareBuilder(int opset, boolean normalize) {
        return FusedHeadExporter.builder()
                .encoder(new ByteArrayInputStream(encoder(opset).toByteArray()))
                .tokenizer(new ByteArrayInputStream(TOKENIZER.getBytes(StandardCharsets.UTF_8)))
                .poolings(POOLINGS).normalize(normalize)
                .calibration(1.7, -0.4).labels(List.of("ok", "bad")).maxLength(64).metadata(Map.of("head", "synthetic"));
    }

    /** A normalised CLS/MEAN/MAX head on {@code encoder}, reading the opening when asked; layers still to add. */
    private FusedHeadExporter.Builder contextBuilder(ModelProto encoder, boolean opening) {
        FusedHeadExporter.Builder b = FusedHeadExporter.builder()
                .encoder(new ByteArrayInputStream(encoder.toByteArray()))
                .tokenizer(new ByteArrayInputStream(TOKENIZER.getBytes(StandardCharsets.UTF_8)))
                .poolings(POOLINGS).normalize(true)
                .calibration(1.7, -0.4).labels(List.of("ok", "bad")).maxLength(64).metadata(Map.of("head", "synthetic"));
        return opening ? b.opening(OPENING, OPENING_POOLINGS) : b;
    }

    private FusedHeadExporter.Builder openingBuilder(ModelProto encoder) {
        return contextBuilder(encoder, true).layer(openingLayer0).layer(layer1).layer(layer2);
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

    /**
     * Token vectors that depend on the token, its type and the kept tokens:
     * {@code tanh((e + 0.25 · Σ_kept e) · P)} with {@code e = words[id] + types[type]}. A tensor is
     * named "mask" and one node has no name, as real exports do.
     */
    private ModelProto contextEncoder(int opset, boolean withTypes) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("context-encoder");
        for (String input : withTypes ? List.of("input_ids", "attention_mask", "token_type_ids") : List.of("input_ids", "attention_mask")) {
            g.addInput(valueInfo(input, TensorProto.DataType.INT64, dim("batch_size"), dim("sequence_length")));
        }
        g.addInitializer(matrix("word_embeddings", contextWords));
        g.addInitializer(matrix("projection", projection));
        g.addInitializer(TensorProto.newBuilder().setName("context_scale").setDataType(TensorProto.DataType.FLOAT.getNumber())
                .addFloatData(0.25f));
        g.addNode(node("Gather", "words", List.of("word_embeddings", "input_ids"), "words"));
        String embedded = "words";
        if (withTypes) {
            g.addInitializer(matrix("type_embeddings", contextTypes));
            g.addNode(node("Gather", "types", List.of("type_embeddings", "token_type_ids"), "types"));
            g.addNode(node("Add", "embed", List.of("words", "types"), "embedded"));
            embedded = "embedded";
        }
        g.addNode(node("Cast", "mask_cast", List.of("attention_mask"), "mask").toBuilder()
                .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT)
                        .setI(TensorProto.DataType.FLOAT.getNumber())).build());
        if (opset >= 13) {
            g.addInitializer(TensorProto.newBuilder().setName("row_axes").setDataType(TensorProto.DataType.INT64.getNumber())
                    .addDims(1).addInt64Data(1));
            g.addNode(node("Unsqueeze", "mask_row", List.of("mask", "row_axes"), "mask_row"));
        } else {
            g.addNode(node("Unsqueeze", "mask_row", List.of("mask"), "mask_row").toBuilder()
                    .addAttribute(AttributeProto.newBuilder().setName("axes").setType(AttributeProto.AttributeType.INTS).addInts(1)).build());
        }
        g.addNode(node("MatMul", "context", List.of("mask_row", embedded), "context"));
        g.addNode(node("Mul", "", List.of("context", "context_scale"), "context_scaled"));
        g.addNode(node("Add", "mix", List.of(embedded, "context_scaled"), "mixed"));
        g.addNode(node("MatMul", "project", List.of("mixed", "projection"), "projected"));
        g.addNode(node("Tanh", "activate", List.of("projected"), "last_hidden_state"));
        g.addOutput(valueInfo("last_hidden_state", TensorProto.DataType.FLOAT, dim("batch_size"), dim("sequence_length"),
                TensorShapeProto.Dimension.newBuilder().setDimValue(HIDDEN).build()));
        return ModelProto.newBuilder().setIrVersion(opset <= 11 ? 6 : opset <= 13 ? 7 : 8).setProducerName("parapet-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(g).build();
    }

    private static NodeProto node(String op, String name, List<String> inputs, String output) {
        return NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(output).build();
    }

    private static TensorProto matrix(String name, float[][] rows) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT.getNumber())
                .addDims(rows.length).addDims(rows[0].length);
        for (float[] row : rows) {
            for (float v : row) {
                t.addFloatData(v);
            }
        }
        return t.build();
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
