package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.FailurePolicy;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Verdict;
import dev.parapet.demo.DemoModels;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GuardConfigTest {
    static final String TOXIC = "You are a disgusting worthless idiot and I hope you suffer.";

    @Test
    void should_build_a_guard_from_a_json_file_with_paths_relative_to_it(@TempDir Path dir) throws IOException {
        Path model = DemoModels.toxicity().toAbsolutePath();
        Path conf = dir.resolve("guard.json");
        Files.writeString(conf, """
                {
                  "fail_policy": "fail_open",
                  "limits": {"max_prompt_chars": 5000},
                  "input_scanners": [
                    {"type": "classifier", "params": {"model": "%s", "name": "toxicity", "labels": ["toxic"], "threshold": 0.6}}
                  ],
                  "output_scanners": [
                    {"type": "classifier", "params": {"model": "%s", "name": "toxicity-sentences", "input": "text", "max_length": 64}}
                  ]
                }
                """.formatted(model.toString().replace("\\", "\\\\"), dir.relativize(model).toString().replace("\\", "\\\\")));
        try (Guard guard = GuardConfig.load(conf)) {
            assertThat(guard.failurePolicy()).isEqualTo(FailurePolicy.FAIL_OPEN);
            assertThat(guard.limits().maxPromptChars()).isEqualTo(5000);
            Verdict v = guard.scan(TOXIC, "A calm and helpful reply about gardening.");
            assertThat(v.blocked()).isTrue();
            ScanResult first = v.results().get(0);
            assertThat(first.scanner()).isEqualTo("toxicity");
            assertThat(first.threshold()).isEqualTo(0.6);
            assertThat(v.results().get(1).scanner()).isEqualTo("toxicity-sentences");
            assertThat(v.results().get(1).decision()).isEqualTo(Decision.PASSED);
        }
    }

    @Test
    void should_round_trip_a_configuration_through_its_canonical_json() {
        String json = """
                {"input_scanners": [{"type": "secrets"}, {"type": "banned_substrings", "params": {"substrings": ["falcon"], "redact": true}}],
                 "output_scanners": [{"type": "regex", "params": {"patterns": ["DROP +TABLE"]}}],
                 "limits": {"max_prompt_chars": 1000}, "fail_fast": true}
                """;
        GuardSpec spec = GuardSpec.parse(json);
        String canonical = spec.toJson();
        assertThat(canonical).contains("\"fail_policy\": \"fail_closed\"").contains("\"params\": {}");
        GuardSpec again = GuardSpec.parse(canonical);
        assertThat(again).isEqualTo(spec);
        assertThat(again.toJson()).isEqualTo(canonical);
        try (Guard a = GuardConfig.build(spec, null); Guard b = GuardConfig.build(again, null)) {
            String prompt = "the falcon key is ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8";
            assertThat(withoutLatency(VerdictJson.toJson(a.scanPrompt(prompt), true)))
                    .isEqualTo(withoutLatency(VerdictJson.toJson(b.scanPrompt(prompt), true)));
            assertThat(a.limits().maxPromptChars()).isEqualTo(1000);
        }
    }

    @Test
    void should_run_a_configuration_s_models_where_its_runtime_block_says(@TempDir Path dir) throws IOException {
        Assumptions.assumeFalse(ai.onnxruntime.OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA),
                "this host has CUDA: the fallback is not reachable here");
        String model = DemoModels.toxicity().toAbsolutePath().toString().replace("\\", "\\\\");
        String entries = "\"input_scanners\": [{\"type\": \"classifier\", \"params\": {\"model\": \"" + model + "\", \"name\": \"toxicity\"}}]";
        // CUDA asked for on a host without it: one WARN line, the model runs on the CPU, and every result says so
        try (Guard guard = GuardConfig.parse("{\"runtime\": {\"provider\": \"CUDA\", \"intra_op_threads\": 2}, " + entries + "}", dir)) {
            ScanResult r = guard.scanPrompt(TOXIC).results().get(0);
            assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
            assertThat(r.attributes()).containsEntry("provider", "CPU");
        }
        // strict: loading fails and names the setting, before any scan
        assertThatThrownBy(() -> GuardConfig.parse("{\"runtime\": {\"provider\": \"cuda:0\", \"strict_provider\": true}, " + entries + "}", dir))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("CUDA device 0")
                .hasMessageContaining("strictProvider");
    }

    @Test
    void should_write_the_runtime_block_out_in_full_and_reject_bad_values_by_name() {
        GuardSpec spec = GuardSpec.parse("{\"runtime\": {\"provider\": \"Cuda:1\"}}");
        assertThat(com.google.gson.JsonParser.parseString(spec.toJson()).getAsJsonObject().get("runtime"))
                .isEqualTo(com.google.gson.JsonParser.parseString(
                        "{\"provider\": \"cuda:1\", \"strict_provider\": false, \"cuda_tf32\": false, \"intra_op_threads\": 1}"));
        assertThat(GuardSpec.parse(spec.toJson())).isEqualTo(spec);
        assertThat(GuardSpec.runtimeOptions(spec.root()).provider()).isEqualTo(dev.parapet.onnx.ExecutionProvider.cuda(1));
        // without a block: nothing written, library defaults
        GuardSpec plain = GuardSpec.parse("{}");
        assertThat(plain.toJson()).doesNotContain("runtime");
        assertThat(GuardSpec.runtimeOptions(plain.root()).provider()).isEqualTo(dev.parapet.onnx.ExecutionProvider.cpu());

        assertThatThrownBy(() -> GuardSpec.parse("{\"runtime\": {\"provider\": \"gpu\"}}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("runtime.provider").hasMessageContaining("cpu, cuda or cuda:N");
        assertThatThrownBy(() -> GuardSpec.parse("{\"runtime\": {\"threads\": 2}}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown key 'threads'").hasMessageContaining("intra_op_threads");
        assertThatThrownBy(() -> GuardSpec.parse("{\"runtime\": {\"intra_op_threads\": 0}}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("intra_op_threads must be a whole number from 1 to 1024");
        assertThatThrownBy(() -> GuardSpec.parse("{\"runtime\": {\"strict_provider\": \"yes\"}}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("strict_provider must be true or false");
        assertThatThrownBy(() -> GuardSpec.parse("{\"runtime\": \"cuda\"}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("runtime must be an object");
    }

    private static com.google.gson.JsonObject withoutLatency(String json) {
        com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(json).getAsJsonObject();
        o.remove("latency_ms");
        for (com.google.gson.JsonElement r : o.getAsJsonArray("results")) {
            r.getAsJsonObject().remove("latency_ms");
        }
        return o;
    }

    @Test
    void should_fail_at_load_on_unknown_types_and_parameters_listing_the_known_ones() {
        assertThatThrownBy(() -> GuardConfig.parse("{\"input_scanners\": [{\"type\": \"nope\"}]}", null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("input_scanners[0]")
                .hasMessageContaining("unknown scanner type 'nope'")
                .hasMessageContaining("classifier");
        assertThatThrownBy(() -> GuardConfig.parse("{\"input_scanners\": [{\"type\": \"classifier\", \"params\": {\"modle\": \"x\"}}]}", null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown key 'modle'")
                .hasMessageContaining("model");
        assertThatThrownBy(() -> GuardConfig.parse("{\"inputs\": []}", null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown key 'inputs'")
                .hasMessageContaining("input_scanners");
        assertThatThrownBy(() -> GuardConfig.parse("{\"input_scanners\": [{\"type\": \"classifier\", \"params\": {\"model\": \"/no/such/dir\"}}]}", null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("/no/such/dir");
        assertThatThrownBy(() -> GuardConfig.parse("{\"input_scanners\": [{\"type\": \"classifier\", \"params\": {\"model\": \"x\", \"threshold\": \"high\"}}]}", null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'threshold' must be a number");
        assertThatThrownBy(() -> GuardConfig.parse("{ not json", null)).isInstanceOf(ConfigException.class).hasMessageContaining("not valid JSON");
        assertThat(GuardConfig.knownTypes()).containsKey("classifier");
    }

    @Test
    void should_run_configured_rule_scanners_in_declared_order() {
        String json = """
                {
                  "input_scanners": [
                    {"type": "invisible_text"},
                    {"type": "secrets"},
                    {"type": "banned_substrings", "params": {"substrings": ["internal"], "match_type": "whole_word", "redact": true, "flag_when_sanitized": false}},
                    {"type": "regex", "params": {"patterns": ["DROP +TABLE"], "mode": "block"}},
                    {"type": "token_limit", "params": {"tokenizer": "classpath:all-minilm-l6-v2-q-tokenizer.json", "max_tokens": 64, "action": "block"}}
                  ]
                }
                """;
        try (Guard guard = GuardConfig.parse(json, null)) {
            Verdict v = guard.scanPrompt("Use key ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 for the inter\u200Bnal repo");
            assertThat(v.sanitizedPrompt()).doesNotContain("ghp_").doesNotContain("\u200B").doesNotContain("internal");
            assertThat(v.results()).extracting(ScanResult::scanner)
                    .containsExactly("invisible-text", "secrets", "banned-substrings", "regex", "token-limit");
            assertThat(guard.scanPrompt("please DROP  TABLE users").blocked()).isTrue();
            assertThat(guard.scanPrompt("word ".repeat(100)).result("token-limit").orElseThrow().decision()).isEqualTo(Decision.FLAGGED);
        }
        assertThatThrownBy(() -> GuardConfig.parse("{\"input_scanners\": [{\"type\": \"secrets\", \"params\": {\"types\": [\"nope\"]}}]}", null))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'nope'").hasMessageContaining("aws_access_key");
        assertThat(GuardConfig.knownTypes()).containsKeys("banned_substrings", "regex", "invisible_text", "token_limit", "secrets", "classifier");
    }

    @Test
    void should_give_the_same_verdicts_when_the_same_file_is_loaded_twice(@TempDir Path dir) throws IOException {
        Path conf = dir.resolve("guard.json");
        Files.writeString(conf, """
                {"input_scanners": [{"type": "classifier", "params": {"model": "%s", "name": "toxicity"}}]}
                """.formatted(DemoModels.toxicity().toAbsolutePath().toString().replace("\\", "\\\\")));
        try (Guard a = GuardConfig.load(conf); Guard b = GuardConfig.load(conf)) {
            for (String text : new String[]{TOXIC, "Please summarise this article.", ""}) {
                Verdict va = a.scanPrompt(text);
                Verdict vb = b.scanPrompt(text);
                assertThat(withoutLatency(VerdictJson.toJson(va))).isEqualTo(withoutLatency(VerdictJson.toJson(vb)));
            }
        }
    }
}
