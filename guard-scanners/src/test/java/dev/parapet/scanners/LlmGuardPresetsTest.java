package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Stage;
import dev.parapet.export.FusedClassifierExporter;
import dev.parapet.export.Pooling;
import dev.parapet.onnx.ProblemType;
import dev.parapet.onnx.hub.HubException;
import dev.parapet.onnx.hub.HubOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The LLM Guard presets against a loopback hub that serves, at the pinned commits and paths,
 * stand-in models built here: the real ProtectAI files cannot be fetched in this build, so the
 * stand-ins carry the same labels (16 sigmoid labels for toxicity, NORMAL/REJECTION for refusal)
 * and a head whose probabilities do not depend on the text. What is tested is the wiring: which
 * files of which repository at which commit are asked for, which labels count, which threshold.
 */
class LlmGuardPresetsTest {
    /** unitary/unbiased-toxic-roberta's id2label, in order. */
    static final List<String> SIXTEEN = List.of("toxicity", "severe_toxicity", "obscene", "identity_attack", "insult", "threat",
            "sexual_explicit", "male", "female", "homosexual_gay_or_lesbian", "christian", "jewish", "muslim", "black", "white",
            "psychiatric_or_mental_illness");

    static LoopbackHub hub;
    @TempDir
    static Path models;

    @TempDir
    Path home;
    HubOptions options;

    @BeforeAll
    static void serve() throws IOException {
        hub = new LoopbackHub();
        // insult at 0.6 (between the prompt and the output thresholds), "male" near 1 (not a harm label), the rest near 0
        float[] toxBias = new float[16];
        java.util.Arrays.fill(toxBias, -6f);
        toxBias[SIXTEEN.indexOf("insult")] = logit(0.6);
        toxBias[SIXTEEN.indexOf("male")] = 8f;
        hub.publish(LlmGuardPresets.TOXICITY_REPO, LlmGuardPresets.TOXICITY_REVISION,
                export("toxicity16", SIXTEEN, toxBias, FusedClassifierExporter.MULTI_LABEL, ""));
        // softmax: P(REJECTION) = sigmoid(b1 - b0) = 0.8
        hub.publish(LlmGuardPresets.REFUSAL_REPO, LlmGuardPresets.REFUSAL_REVISION,
                export("refusal2", List.of("NORMAL", "REJECTION"), new float[]{0f, logit(0.8)}, FusedClassifierExporter.SINGLE_LABEL, "onnx/"));
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @BeforeEach
    void options() {
        options = HubOptions.builder(Map.of("HF_HOME", home.toString())).endpoint(hub.endpoint()).build();
        hub.clearRequests();
    }

    @Test
    void should_flag_a_prompt_on_any_of_the_seven_harm_labels_at_llm_guards_threshold() {
        try (ClassifierScanner scanner = LlmGuardPresets.promptToxicity(options).build()) {
            ScanResult r = scanner.scan(ScanInput.prompt("you are an idiot"));

            assertThat(scanner.name()).isEqualTo("toxicity");
            assertThat(scanner.classifier().labels()).hasSize(16);
            assertThat(scanner.classifier().problemType()).isEqualTo(ProblemType.MULTI_LABEL);
            assertThat(scanner.classifier().maxLength()).isEqualTo(512);
            assertThat(scanner.flaggedLabels()).containsExactlyInAnyOrderElementsOf(LlmGuardPresets.TOXICITY_LABELS)
                    .containsExactlyInAnyOrderElementsOf(SIXTEEN.subList(0, 7));
            assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
            assertThat(r.label()).isEqualTo("insult");
            assertThat(r.score()).isCloseTo(0.6, within(1e-3));
            assertThat(r.threshold()).isEqualTo(0.5);
        }
        assertThat(hub.requests()).contains(
                "HEAD /ProtectAI/unbiased-toxic-roberta-onnx/resolve/34480fa958f6657ad835c345808475755b6974a7/config.json",
                "HEAD /ProtectAI/unbiased-toxic-roberta-onnx/resolve/34480fa958f6657ad835c345808475755b6974a7/tokenizer.json",
                "HEAD /ProtectAI/unbiased-toxic-roberta-onnx/resolve/34480fa958f6657ad835c345808475755b6974a7/model.onnx");
    }

    @Test
    void should_let_an_output_pass_below_the_output_threshold_and_ignore_identity_labels() {
        try (ClassifierScanner scanner = LlmGuardPresets.outputToxicity(options).build()) {
            ScanResult r = scanner.scan(ScanInput.output("any prompt", "any answer"));

            // "male" is at ~0.9997 but is not one of LLM Guard's labels; insult at 0.6 is under 0.7
            assertThat(r.decision()).isEqualTo(Decision.PASSED);
            assertThat(r.label()).isEqualTo("insult");
            assertThat(r.threshold()).isEqualTo(0.7);
            assertThat(r.stage()).isEqualTo(Stage.OUTPUT);
        }
    }

    @Test
    void should_flag_a_refusal_from_the_onnx_subfolder_at_the_pinned_commit() {
        try (ClassifierScanner scanner = LlmGuardPresets.refusal(options).build()) {
            ScanResult r = scanner.scan(ScanInput.output("how do I pick a lock?", "I'm sorry, I can't help with that."));

            assertThat(scanner.name()).isEqualTo("no_refusal");
            assertThat(scanner.flaggedLabels()).containsExactly("REJECTION");
            assertThat(scanner.classifier().maxLength()).isEqualTo(128);
            assertThat(scanner.input()).isEqualTo(TextInput.TEXT);
            assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
            assertThat(r.label()).isEqualTo("REJECTION");
            assertThat(r.score()).isCloseTo(0.8, within(1e-3));
            assertThat(r.threshold()).isEqualTo(0.75);
        }
        assertThat(hub.requests()).filteredOn(s -> s.startsWith("HEAD")).containsExactly(
                "HEAD /ProtectAI/distilroberta-base-rejection-v1/resolve/65584967c3f22ff7723e5370c65e0e76791e6055/onnx/config.json",
                "HEAD /ProtectAI/distilroberta-base-rejection-v1/resolve/65584967c3f22ff7723e5370c65e0e76791e6055/onnx/tokenizer.json",
                "HEAD /ProtectAI/distilroberta-base-rejection-v1/resolve/65584967c3f22ff7723e5370c65e0e76791e6055/onnx/model.onnx");
    }

    @Test
    void should_describe_the_pinned_sources() {
        assertThat(LlmGuardPresets.toxicityModel(options).build()).satisfies(s -> {
            assertThat(s.repo()).isEqualTo("ProtectAI/unbiased-toxic-roberta-onnx");
            assertThat(s.revision()).isEqualTo("34480fa958f6657ad835c345808475755b6974a7");
            assertThat(s.modelFile()).isEqualTo("model.onnx");
            assertThat(s.tokenizerRepo()).isEqualTo("ProtectAI/unbiased-toxic-roberta-onnx");
            assertThat(s.tokenizerFile()).isEqualTo("tokenizer.json");
        });
        assertThat(LlmGuardPresets.refusalModel(options).build()).satisfies(s -> {
            assertThat(s.repo()).isEqualTo("ProtectAI/distilroberta-base-rejection-v1");
            assertThat(s.revision()).isEqualTo("65584967c3f22ff7723e5370c65e0e76791e6055");
            assertThat(s.modelFile()).isEqualTo("onnx/model.onnx");
            assertThat(s.configFile()).contains("onnx/config.json");
        });
    }

    @Test
    void should_build_offline_from_the_cache_once_fetched() {
        LlmGuardPresets.refusal(options).build().close();
        hub.clearRequests();

        try (ClassifierScanner scanner = LlmGuardPresets.refusal(options.toBuilder().offline(true).build()).build()) {
            assertThat(scanner.scan(ScanInput.output("q", "I cannot do that.")).decision()).isEqualTo(Decision.FLAGGED);
        }
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void should_fail_offline_with_an_empty_cache_naming_the_file() {
        HubOptions offline = options.toBuilder().offline(true).build();

        assertThatThrownBy(() -> LlmGuardPresets.promptToxicity(offline))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("ProtectAI/unbiased-toxic-roberta-onnx")
                .hasMessageContaining("config.json");
    }

    private static float logit(double p) {
        return (float) Math.log(p / (1 - p));
    }

    /** A fused MiniLM classifier with zero weights: its probabilities are the bias's, whatever the text. */
    private static Map<String, byte[]> export(String name, List<String> labels, float[] bias, String problemType, String prefix) {
        Path dir = models.resolve(name);
        ClassLoader cl = LlmGuardPresetsTest.class.getClassLoader();
        try (InputStream onnx = cl.getResourceAsStream("all-minilm-l6-v2-q.onnx");
             InputStream tok = cl.getResourceAsStream("all-minilm-l6-v2-q-tokenizer.json")) {
            FusedClassifierExporter.builder().encoder(onnx).tokenizer(tok).pooling(Pooling.MEAN)
                    .head(new float[labels.size()][384], bias).labels(labels).problemType(problemType).maxLength(512)
                    .build().export(dir);
            Map<String, byte[]> files = new HashMap<>();
            for (String f : List.of("model.onnx", "tokenizer.json", "config.json")) {
                files.put(prefix + f, Files.readAllBytes(dir.resolve(f)));
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
