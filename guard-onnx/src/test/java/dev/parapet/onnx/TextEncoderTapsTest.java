package dev.parapet.onnx;

import ai.onnx.proto.OnnxMl;
import dev.parapet.core.ModelLoadException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Intermediate encoder outputs ({@link TextEncoder.Builder#taps}) on the real MiniLM: the tap is the
 * layer's output (checked against a copy of the graph cut at that layer), the final output is
 * unchanged, windows and openings carry taps, and a name the graph lacks fails at load.
 */
class TextEncoderTapsTest {
    static final String LAYER3 = "/encoder/layer.3/output/LayerNorm/Add_1_output_0";
    static final String LAYER1 = "/encoder/layer.1/output/LayerNorm/Add_1_output_0";
    static final List<String> TEXTS = List.of(
            "I'm sorry, but I can't help with that request.",
            "The capital of France is Paris.",
            "naïve café — résumé 😀 " + "word ".repeat(400));

    static TextEncoder plain;
    static TextEncoder tapped;

    @BeforeAll
    static void load() {
        plain = TextEncoder.builder(Encoders.minilm()).build();
        tapped = TextEncoder.builder(Encoders.minilm()).taps(List.of(LAYER3, LAYER1)).build();
    }

    @AfterAll
    static void close() {
        plain.close();
        tapped.close();
    }

    @Test
    void should_keep_the_final_output_and_add_each_tap_in_order() {
        assertThat(tapped.taps()).containsExactly(LAYER3, LAYER1);
        for (String text : TEXTS) {
            PooledEmbedding a = plain.encodeAll(List.of(text)).get(0);
            PooledEmbedding b = tapped.encodeAll(List.of(text)).get(0);
            assertThat(a.taps()).isEmpty();
            assertThat(b.taps()).containsOnlyKeys(LAYER3, LAYER1);
            assertClose(b.mean(), a.mean(), 1e-4f);
            assertClose(b.cls(), a.cls(), 1e-4f);
            assertClose(b.max(), a.max(), 1e-4f);
            assertThat(TextEncoderMicroBatchingTest.cosine(b.tap(LAYER3).mean(), b.mean())).as("layer 3 is not the last layer").isLessThan(0.99);
            assertThat(TextEncoderMicroBatchingTest.cosine(b.tap(LAYER3).mean(), b.tap(LAYER1).mean())).isLessThan(0.99);
        }
    }

    @Test
    void should_equal_the_output_of_the_graph_cut_at_that_layer(@TempDir Path dir) throws Exception {
        OnnxMl.ModelProto model;
        try (InputStream in = Encoders.class.getClassLoader().getResourceAsStream(Encoders.MINILM_ONNX)) {
            model = OnnxMl.ModelProto.parseFrom(in);
        }
        OnnxMl.ValueInfoProto out = model.getGraph().getOutput(0).toBuilder().setName(LAYER3).build();
        OnnxMl.ModelProto cut = model.toBuilder().setGraph(model.getGraph().toBuilder().clearOutput().addOutput(out)).build();
        Files.write(dir.resolve("model.onnx"), cut.toByteArray());
        try (InputStream in = Encoders.class.getClassLoader().getResourceAsStream(Encoders.MINILM_TOKENIZER)) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        try (TextEncoder layer3 = TextEncoder.builder(ModelSource.directory(dir)).build()) {
            for (String text : TEXTS) {
                PooledEmbedding want = layer3.encodeAll(List.of(text)).get(0);
                PooledEmbedding got = tapped.encodeAll(List.of(text)).get(0).tap(LAYER3);
                assertClose(got.mean(), want.mean(), 1e-4f);
                assertClose(got.cls(), want.cls(), 1e-4f);
                assertClose(got.max(), want.max(), 1e-4f);
            }
        }
    }

    @Test
    void should_read_a_tap_as_the_main_output_with_the_graphs_hidden_size() {
        try (TextEncoder asMain = TextEncoder.builder(Encoders.minilm()).taps(List.of(LAYER3)).outputName(LAYER3).build()) {
            assertThat(asMain.dimension()).isEqualTo(384);
            assertThat(asMain.taps()).isEmpty();
            PooledEmbedding got = asMain.encodeAll(List.of(TEXTS.get(0))).get(0);
            PooledEmbedding want = tapped.encodeAll(List.of(TEXTS.get(0))).get(0).tap(LAYER3);
            assertClose(got.mean(), want.mean(), 1e-4f);
        }
    }

    @Test
    void should_carry_taps_in_windows_and_openings() {
        EncodedText long_ = tapped.encodeWindows(List.of(TEXTS.get(2))).get(0);
        assertThat(long_.windows()).hasSizeGreaterThan(1);
        long_.windows().forEach(w -> assertThat(w.embedding().taps()).containsOnlyKeys(LAYER3, LAYER1));
        // whole-text pooling of a tap is built like the main one's: mean of window means, max of maxima
        float[] mean = new float[384];
        for (EncodedText.WindowEmbedding w : long_.windows()) {
            for (int d = 0; d < mean.length; d++) {
                mean[d] += w.embedding().tap(LAYER3).mean()[d] / long_.windows().size();
            }
        }
        assertClose(long_.pooled().tap(LAYER3).mean(), mean, 1e-5f);
        PooledEmbedding opening = tapped.encodeOpenings(List.of(TEXTS.get(1)), 8).get(0);
        assertThat(opening.taps()).containsOnlyKeys(LAYER3, LAYER1);
    }

    @Test
    void should_fail_at_load_when_the_graph_has_no_such_tensor() {
        assertThatThrownBy(() -> TextEncoder.builder(Encoders.minilm()).taps(List.of("/encoder/layer.99/output")).build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("/encoder/layer.99/output");
        assertThatThrownBy(() -> TextEncoder.builder(Encoders.minilm()).taps(List.of(" ")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void should_say_which_tap_an_embedding_lacks() {
        PooledEmbedding e = plain.encodeAll(List.of("hello")).get(0);
        assertThatThrownBy(() -> e.tap(LAYER3)).isInstanceOf(IllegalStateException.class).hasMessageContaining(LAYER3);
    }

    static void assertClose(float[] got, float[] want, float tolerance) {
        assertThat(got).hasSameSizeAs(want);
        for (int i = 0; i < got.length; i++) {
            assertThat(Math.abs(got[i] - want[i])).as("element %d: %s vs %s", i, got[i], want[i]).isLessThanOrEqualTo(tolerance);
        }
    }
}
