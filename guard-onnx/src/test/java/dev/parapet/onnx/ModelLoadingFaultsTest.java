package dev.parapet.onnx;

import dev.parapet.core.ModelLoadException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Broken model directories fail when the model is built, with a message naming the file and the problem. */
class ModelLoadingFaultsTest {

    @TempDir
    Path dir;

    @Test
    void should_name_the_missing_directory() {
        Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> ModelSource.directory(missing))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void should_name_the_missing_model_file() throws IOException {
        copyTokenizer(dir);
        assertThatThrownBy(() -> ModelSource.directory(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model.onnx")
                .hasMessageContaining(dir.toString());
    }

    @Test
    void should_name_the_missing_classpath_resource() {
        assertThatThrownBy(() -> ModelSource.classpath(getClass().getClassLoader(), "no-such.onnx", Encoders.MINILM_TOKENIZER, null))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("no-such.onnx");
    }

    @Test
    void should_reject_a_corrupt_model_file_at_build_time() throws IOException {
        Files.writeString(dir.resolve("model.onnx"), "this is not an onnx graph");
        copyTokenizer(dir);
        ModelSource source = ModelSource.files(dir.resolve("model.onnx"), dir.resolve("tokenizer.json"), null);
        assertThatThrownBy(() -> TextEncoder.builder(source).build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(dir.resolve("model.onnx").toString())
                .hasMessageContaining("ONNX");
    }

    @Test
    void should_reject_a_truncated_model_file_at_build_time() throws IOException {
        byte[] full;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(Encoders.MINILM_ONNX)) {
            full = in.readAllBytes();
        }
        Files.write(dir.resolve("model.onnx"), java.util.Arrays.copyOf(full, full.length / 3));
        copyTokenizer(dir);
        ModelSource source = ModelSource.files(dir.resolve("model.onnx"), dir.resolve("tokenizer.json"), null);
        assertThatThrownBy(() -> TextEncoder.builder(source).build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model.onnx");
    }

    @Test
    void should_reject_a_malformed_tokenizer_json_naming_it() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), "{ \"model\": 42 ", StandardCharsets.UTF_8);
        copyModel(dir);
        ModelSource source = ModelSource.files(dir.resolve("model.onnx"), dir.resolve("tokenizer.json"), null);
        assertThatThrownBy(() -> TextEncoder.builder(source).build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("tokenizer.json");
    }

    @Test
    void should_require_config_json_for_a_classifier() throws IOException {
        copyModel(dir);
        copyTokenizer(dir);
        assertThatThrownBy(() -> SequenceClassifier.builder(ModelSource.directory(dir)).build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("config.json");
    }

    @Test
    void should_reject_config_without_id2label() throws IOException {
        copyModel(dir);
        copyTokenizer(dir);
        Files.writeString(dir.resolve("config.json"), "{\"problem_type\": \"single_label_classification\"}");
        assertThatThrownBy(() -> SequenceClassifier.builder(ModelSource.directory(dir)).build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("config.json")
                .hasMessageContaining("id2label");
    }

    @Test
    void should_reject_invalid_json_config() throws IOException {
        copyModel(dir);
        copyTokenizer(dir);
        Files.writeString(dir.resolve("config.json"), "{ not json");
        assertThatThrownBy(() -> SequenceClassifier.builder(ModelSource.directory(dir)).build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("config.json");
    }

    @Test
    void should_reject_an_encoder_used_as_a_classifier_naming_the_output_shape() throws IOException {
        copyModel(dir);
        copyTokenizer(dir);
        Files.writeString(dir.resolve("config.json"), "{\"id2label\": {\"0\": \"a\", \"1\": \"b\"}}");
        assertThatThrownBy(() -> SequenceClassifier.builder(ModelSource.directory(dir)).outputName("last_hidden_state").build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("last_hidden_state");
    }

    @Test
    void should_leave_no_session_open_after_a_failed_build() throws IOException {
        copyModel(dir);
        copyTokenizer(dir);
        Files.writeString(dir.resolve("config.json"), "{\"id2label\": {\"0\": \"a\", \"1\": \"b\"}}");
        int before = SharedSession.openSessions();
        assertThatThrownBy(() -> SequenceClassifier.builder(ModelSource.directory(dir)).outputName("last_hidden_state").build())
                .isInstanceOf(ModelLoadException.class);
        assertThat(SharedSession.openSessions()).isEqualTo(before);
    }

    private static void copyTokenizer(Path dir) throws IOException {
        copy(Encoders.MINILM_TOKENIZER, dir.resolve("tokenizer.json"));
    }

    private static void copyModel(Path dir) throws IOException {
        copy(Encoders.MINILM_ONNX, dir.resolve("model.onnx"));
    }

    private static void copy(String resource, Path target) throws IOException {
        try (InputStream in = ModelLoadingFaultsTest.class.getClassLoader().getResourceAsStream(resource)) {
            Files.copy(in, target);
        }
    }
}
