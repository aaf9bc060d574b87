package dev.parapet.reliability;

import dev.parapet.core.Decision;
import dev.parapet.core.Guard;
import dev.parapet.core.ModelLoadException;
import dev.parapet.core.ParapetException;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Verdict;
import dev.parapet.models.DefaultModels;
import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.SequenceClassifier;
import dev.parapet.onnx.SharedTextEncoder;
import dev.parapet.onnx.TextEncoder;
import dev.parapet.scanners.HeadScanner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 9, item 4: broken model files fail when the model is built, with an exception that names
 * the file and the problem. guard-onnx's ModelLoadingFaultsTest covers the MiniLM encoder and a
 * directory classifier; this covers the default-model path (the bge encoder and the heads, loaded
 * from the classpath the way DefaultModels loads them) and wrong-shaped graphs.
 */
class ModelFaultsTest {

    @TempDir
    Path dir;

    /** The default encoder's files from {@code dir} instead of the jar, as DefaultModels would read them. */
    private TextEncoder defaultEncoderFrom(Path dir) throws IOException {
        try (URLClassLoader loader = new URLClassLoader(new URL[]{dir.toUri().toURL()}, null)) {
            return TextEncoder.builder(ModelSource.classpath(loader, TinyGraphs.BGE_ONNX, TinyGraphs.BGE_TOKENIZER, null))
                    .maxLength(DefaultModels.DEFAULT_WINDOW_TOKENS).build();
        }
    }

    private void writeDefaultEncoder(byte[] model, byte[] tokenizer) throws IOException {
        if (model != null) {
            Files.write(dir.resolve(TinyGraphs.BGE_ONNX), model);
        }
        if (tokenizer != null) {
            Files.write(dir.resolve(TinyGraphs.BGE_TOKENIZER), tokenizer);
        }
    }

    @Test
    void should_load_the_default_encoder_from_a_copy_of_its_files() throws IOException {
        writeDefaultEncoder(TinyGraphs.resourceBytes(TinyGraphs.BGE_ONNX), TinyGraphs.resourceBytes(TinyGraphs.BGE_TOKENIZER));
        try (TextEncoder encoder = defaultEncoderFrom(dir)) {
            assertThat(encoder.dimension()).isEqualTo(384);
            assertThat(encoder.embed("hello")).hasSize(384);
        }
    }

    @Test
    void should_reject_a_truncated_default_encoder_naming_the_file() throws IOException {
        byte[] full = TinyGraphs.resourceBytes(TinyGraphs.BGE_ONNX);
        writeDefaultEncoder(Arrays.copyOf(full, full.length / 3), TinyGraphs.resourceBytes(TinyGraphs.BGE_TOKENIZER));
        assertThatThrownBy(() -> defaultEncoderFrom(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(TinyGraphs.BGE_ONNX)
                .hasMessageContaining("truncated");
    }

    @Test
    void should_reject_a_corrupt_default_encoder_naming_the_file() throws IOException {
        byte[] noise = new byte[64 * 1024];
        new SplittableRandom(7).nextBytes(noise);
        writeDefaultEncoder(noise, TinyGraphs.resourceBytes(TinyGraphs.BGE_TOKENIZER));
        assertThatThrownBy(() -> defaultEncoderFrom(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(TinyGraphs.BGE_ONNX)
                .hasMessageContaining("ONNX");
    }

    @Test
    void should_reject_an_empty_model_file_naming_it() throws IOException {
        writeDefaultEncoder(new byte[0], TinyGraphs.resourceBytes(TinyGraphs.BGE_TOKENIZER));
        assertThatThrownBy(() -> defaultEncoderFrom(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(TinyGraphs.BGE_ONNX);
    }

    @Test
    void should_reject_a_graph_without_input_ids_naming_the_file_and_its_inputs() throws IOException {
        writeDefaultEncoder(TinyGraphs.encoderWithoutInputIds(), TinyGraphs.resourceBytes(TinyGraphs.BGE_TOKENIZER));
        assertThatThrownBy(() -> defaultEncoderFrom(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(TinyGraphs.BGE_ONNX)
                .hasMessageContaining("input_ids")
                .hasMessageContaining("tokens");
    }

    @Test
    void should_reject_a_truncated_tokenizer_json_naming_it() throws IOException {
        byte[] full = TinyGraphs.resourceBytes(TinyGraphs.BGE_TOKENIZER);
        writeDefaultEncoder(TinyGraphs.encoderWithoutInputIds(), Arrays.copyOf(full, full.length / 2));
        assertThatThrownBy(() -> defaultEncoderFrom(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(TinyGraphs.BGE_TOKENIZER);
    }

    @Test
    void should_reject_a_json_file_that_is_not_a_tokenizer_naming_it() throws IOException {
        writeDefaultEncoder(TinyGraphs.encoderWithoutInputIds(), "{\"version\": \"1.0\"}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> defaultEncoderFrom(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(TinyGraphs.BGE_TOKENIZER);
    }

    @Test
    void should_reject_an_empty_tokenizer_json_naming_it() throws IOException {
        writeDefaultEncoder(TinyGraphs.encoderWithoutInputIds(), new byte[0]);
        assertThatThrownBy(() -> defaultEncoderFrom(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(TinyGraphs.BGE_TOKENIZER);
    }

    @Test
    void should_name_a_missing_tokenizer_resource() throws IOException {
        writeDefaultEncoder(TinyGraphs.encoderWithoutInputIds(), null);
        assertThatThrownBy(() -> defaultEncoderFrom(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(TinyGraphs.BGE_TOKENIZER)
                .hasMessageContaining("not found");
    }

    // ---- classifiers: config.json against the graph --------------------------------------------

    private ModelSource classifierDir(byte[] model, String config) throws IOException {
        Files.write(dir.resolve("model.onnx"), model);
        TinyGraphs.copyResource(TinyGraphs.BGE_TOKENIZER, dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("config.json"), config);
        return ModelSource.directory(dir);
    }

    @Test
    void should_reject_a_config_with_fewer_labels_than_the_model_has_logits() throws IOException {
        ModelSource source = classifierDir(TinyGraphs.classifier(3), "{\"id2label\": {\"0\": \"ok\", \"1\": \"toxic\"}}");
        assertThatThrownBy(() -> SequenceClassifier.builder(source).build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("config.json")
                .hasMessageContaining("2 labels")
                .hasMessageContaining("3 logits");
    }

    @Test
    void should_load_a_classifier_whose_config_matches_its_logits() throws IOException {
        ModelSource source = classifierDir(TinyGraphs.classifier(2), "{\"id2label\": {\"0\": \"ok\", \"1\": \"toxic\"}}");
        try (SequenceClassifier c = SequenceClassifier.builder(source).build()) {
            assertThat(c.classify("hello there").probabilities()).hasSize(2);
        }
    }

    @Test
    void should_reject_id2label_with_a_gap_naming_config_json() throws IOException {
        ModelSource source = classifierDir(TinyGraphs.classifier(2), "{\"id2label\": {\"0\": \"ok\", \"2\": \"toxic\"}}");
        assertThatThrownBy(() -> SequenceClassifier.builder(source).build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("config.json")
                .hasMessageContaining("without gaps");
    }

    @Test
    void should_reject_a_truncated_config_json_naming_it() throws IOException {
        ModelSource source = classifierDir(TinyGraphs.classifier(2), "{\"id2label\": {\"0\": \"ok\", \"1\": ");
        assertThatThrownBy(() -> SequenceClassifier.builder(source).build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("config.json");
    }

    /**
     * A graph whose label dimension is only known at run time cannot be checked against
     * config.json by its declared shape. It used to load and score silently wrong (the logits of a
     * 3-column output read as 2 labels: [0.0, 1.0] for "hello there"); now the build runs one
     * probe window and fails naming config.json, and every run checks the columns again.
     */
    @Test
    void should_never_score_with_logits_that_do_not_match_config() throws IOException {
        ModelSource source = classifierDir(TinyGraphs.classifierWithTokenColumns(), "{\"id2label\": {\"0\": \"ok\", \"1\": \"toxic\"}}");
        assertThatThrownBy(() -> {
            try (SequenceClassifier c = SequenceClassifier.builder(source).build()) {
                c.classify("hello there");
            }
        }).isInstanceOf(ParapetException.class).hasMessageContaining("config.json").hasMessageContaining("logits");
    }

    // ---- heads ---------------------------------------------------------------------------------

    @Test
    void should_reject_a_truncated_head_file_naming_it() throws IOException {
        byte[] head = TinyGraphs.resourceBytes(DefaultModels.HEADS + "toxicity.json");
        assertThatThrownBy(() -> EmbeddingHead.read(new ByteArrayInputStream(Arrays.copyOf(head, head.length / 2)), "classpath:toxicity.json"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("toxicity.json");
    }

    @Test
    void should_reject_a_head_file_of_another_format_naming_it() {
        String json = "{\"format\": \"parapet-head/99\", \"name\": \"x\"}";
        assertThatThrownBy(() -> EmbeddingHead.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "heads/x.json"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("heads/x.json")
                .hasMessageContaining("parapet-head/99");
    }

    /** A head that does not fit the encoder: 768 features, the encoder gives 384. */
    private static EmbeddingHead wideHead() {
        return EmbeddingHead.builder("wide").task(EmbeddingHead.Task.BINARY).input(EmbeddingHead.Input.TEXT)
                .encoder("bge-small-en-v1.5-q", "0".repeat(64), 256)
                .poolings(java.util.List.of(dev.parapet.onnx.Pooling.CLS))
                .layer(new EmbeddingHead.Dense(768, 1, new float[768], new float[1], EmbeddingHead.Activation.NONE))
                .labels(java.util.List.of("ok", "bad")).threshold(0.5).build();
    }

    @Test
    void should_reject_a_head_that_does_not_fit_the_encoder_at_build() {
        SharedTextEncoder encoder = SharedModels.get().encoder();
        assertThatThrownBy(() -> HeadScanner.builder("wide", wideHead(), encoder).build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("head 'wide'")
                .hasMessageContaining("768")
                .hasMessageContaining("384");
    }

    /**
     * Before the check at build, such a head built and every scan was an ERROR ("head 'wide' takes
     * 768 features, got 384"). Now the build fails, takes no hold on the shared encoder, and the
     * guards on that encoder keep working.
     */
    @Test
    void should_leave_the_shared_encoder_working_after_rejecting_a_head() {
        SharedTextEncoder encoder = SharedModels.get().encoder();
        assertThatThrownBy(() -> HeadScanner.builder("wide", wideHead(), encoder).build()).isInstanceOf(ModelLoadException.class);
        assertThat(encoder.isClosed()).isFalse();
        try (Guard guard = Guard.builder().inputScanner(SharedModels.get().toxicityScanner().build()).build()) {
            Verdict v = guard.scanPrompt("hello");
            ScanResult r = v.results().get(0);
            assertThat(r.decision()).isEqualTo(Decision.PASSED);
            assertThat(v.allowed()).isTrue();
        }
    }
}
