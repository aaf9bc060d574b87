package dev.parapet.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code parapet scan}, on the default models and on a rule-only configuration. */
class ScanCommandTest {
    @TempDir
    Path tmp;

    private Path ruleConfig() throws IOException {
        Path f = tmp.resolve("guard.json");
        Files.writeString(f, """
                {"input_scanners": [{"type": "banned_substrings", "params": {"substrings": ["project falcon"]}}],
                 "output_scanners": [{"type": "regex", "params": {"patterns": ["\\\\bpassword\\\\b"], "name": "no-passwords"}}]}
                """, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void should_block_a_toxic_output_with_exit_1_and_print_every_scanner() {
        Cli.Run r = Cli.run("scan", "--prompt", "How do I bake bread?", "--output", "You are a worthless idiot for asking that.");

        assertThat(r.code()).isEqualTo(ExitCodes.BLOCKED);
        assertThat(r.out()).containsPattern("(?m)^prompt  toxicity    PASSED   score=0\\.\\d{4}  threshold=0\\.\\d{4}  label=toxic  provider=CPU")
                .containsPattern("(?m)^output  toxicity    FLAGGED  score=0\\.9\\d{3}")
                .contains("output  refusal", "output  preference", "evidence [0, 42) window 1 of 1: \"You are a worthless idiot for asking that.\"")
                .endsWith("verdict: BLOCKED by toxicity on the output\n");
    }

    @Test
    void should_allow_a_benign_prompt_with_exit_0() {
        Cli.Run r = Cli.run("scan", "--prompt", "Could you recommend a good book about birds?");

        assertThat(r.code()).as(r.out()).isZero();
        assertThat(r.out()).contains("prompt  toxicity    PASSED").endsWith("verdict: ALLOWED\n");
    }

    @Test
    void should_print_the_documented_result_schema_with_json() {
        Cli.Run r = Cli.run("scan", "--prompt", "How do I bake bread?", "--output", "You are a worthless idiot for asking that.", "--json");

        assertThat(r.code()).isEqualTo(ExitCodes.BLOCKED);
        JsonObject v = JsonParser.parseString(r.out().strip()).getAsJsonObject();
        assertThat(v.get("schema").getAsString()).isEqualTo("parapet-verdict/1");
        assertThat(v.get("allowed").getAsBoolean()).isFalse();
        List<JsonElement> results = v.getAsJsonArray("results").asList();
        assertThat(results).extracting(e -> e.getAsJsonObject().get("stage").getAsString() + ":" + e.getAsJsonObject().get("scanner").getAsString())
                .containsExactly("prompt:toxicity", "output:toxicity", "output:refusal", "output:preference");
        for (JsonElement e : results) {
            JsonObject o = e.getAsJsonObject();
            assertThat(o.keySet()).contains("decision", "score", "threshold", "label");
            assertThat(o.get("score").getAsDouble()).isBetween(0.0, 1.0);
        }
        JsonObject outputToxicity = results.get(1).getAsJsonObject();
        assertThat(outputToxicity.get("decision").getAsString()).isEqualTo("flagged");
        assertThat(outputToxicity.get("score").getAsDouble()).isGreaterThanOrEqualTo(outputToxicity.get("threshold").getAsDouble());
    }

    @Test
    void should_scan_a_file_print_a_row_per_exchange_and_a_summary() throws IOException {
        Path in = tmp.resolve("exchanges.jsonl");
        Files.writeString(in, """
                {"prompt": "Tell me about project falcon", "output": "It is secret."}
                {"prompt": "Hello", "output": "Hi! How can I help?"}
                {"prompt": "What is the admin password?", "output": "The password is hunter2."}
                {"prompt": "Only a prompt"}
                """, StandardCharsets.UTF_8);

        Cli.Run r = Cli.run("scan", "--input", in.toString(), "--config", ruleConfig().toString());

        assertThat(r.code()).isEqualTo(ExitCodes.BLOCKED);
        assertThat(r.out()).containsPattern("(?m)^row  verdict  prompt:banned-substrings  output:no-passwords$")
                .containsPattern("(?m)^  1  BLOCKED  flagged\\*\\s+-$")
                .containsPattern("(?m)^  2  allowed  -\\s+-$")
                .containsPattern("(?m)^  3  BLOCKED  -\\s+flagged\\*$")
                .containsPattern("(?m)^  4  allowed  -$")
                .contains("4 exchanges: 2 allowed, 2 blocked (50.0%)", "blocking results: prompt:banned-substrings 1, output:no-passwords 1");
    }

    @Test
    void should_exit_0_when_every_exchange_of_a_csv_is_allowed_and_write_json_lines() throws IOException {
        Path in = tmp.resolve("ok.csv");
        Files.writeString(in, "question,answer\n\"Hello, you\",\"Hi, how can I help?\"\nThanks,You are welcome\n", StandardCharsets.UTF_8);

        Cli.Run r = Cli.run("scan", "-i", in.toString(), "--prompt-field", "question", "--output-field", "answer",
                "--config", ruleConfig().toString(), "--json");

        assertThat(r.code()).isZero();
        assertThat(r.out().strip().split("\n")).hasSize(2).allMatch(l -> JsonParser.parseString(l).getAsJsonObject().get("allowed").getAsBoolean());
        assertThat(r.err()).contains("2 exchanges: 2 allowed, 0 blocked");
    }

    @Test
    void should_read_json_lines_from_stdin_with_a_dash() throws IOException {
        java.io.InputStream stdin = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream("{\"prompt\": \"all about project falcon\"}\n".getBytes(StandardCharsets.UTF_8)));
            Cli.Run r = Cli.run("scan", "--input", "-", "--config", ruleConfig().toString(), "--json");

            assertThat(r.code()).isEqualTo(ExitCodes.BLOCKED);
            assertThat(JsonParser.parseString(r.out().strip()).getAsJsonObject().get("allowed").getAsBoolean()).isFalse();
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void should_print_the_stack_trace_after_the_reason_with_debug() throws IOException {
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{\"input_scanners\": 3}", StandardCharsets.UTF_8);

        Cli.Run r = Cli.run("scan", "--prompt", "hi", "--config", bad.toString(), "--debug");

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).startsWith("parapet scan: " + bad + ": input_scanners must be a list\n").contains("ConfigException", "\tat ");
    }

    @Test
    void should_exit_2_with_one_line_for_a_missing_input_file() {
        Cli.Run r = Cli.run("scan", "--input", tmp.resolve("missing.jsonl").toString());

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).isEqualTo("parapet scan: input file " + tmp.resolve("missing.jsonl") + " does not exist");
    }

    @Test
    void should_exit_2_naming_the_entry_of_a_bad_configuration() throws IOException {
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{\"input_scanners\": [{\"type\": \"no_such_scanner\"}]}", StandardCharsets.UTF_8);

        Cli.Run r = Cli.run("scan", "--prompt", "hi", "--config", bad.toString());

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).startsWith("parapet scan: " + bad + ": input_scanners[0]: unknown scanner type 'no_such_scanner'")
                .doesNotContain("\n");
    }

    @Test
    void should_exit_2_when_prompt_and_input_are_both_missing() {
        Cli.Run r = Cli.run("scan", "--output", "text");

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).isEqualTo("parapet scan: give --prompt TEXT (and --output TEXT) or --input FILE");
    }

    @Test
    void should_scan_on_the_cpu_when_cuda_is_asked_for_and_absent() {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                ai.onnxruntime.OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA), "this host has CUDA");
        Cli.Run r = Cli.run("scan", "--prompt", "Could you recommend a good book about birds?", "--provider", "cuda");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("prompt  toxicity    PASSED").contains("provider=CPU").endsWith("verdict: ALLOWED\n");
    }

    @Test
    void should_exit_2_when_strict_cuda_is_unavailable() {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                ai.onnxruntime.OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA), "this host has CUDA");
        Cli.Run r = Cli.run("scan", "--prompt", "hi", "--provider", "cuda:0", "--strict-provider");

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.errLines()).startsWith("parapet scan: CUDA device 0 was requested with strictProvider(true)");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void should_exit_2_for_an_unknown_provider_or_a_provider_beside_a_configuration() throws IOException {
        Cli.Run bad = Cli.run("scan", "--prompt", "hi", "--provider", "gpu");
        assertThat(bad.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err().strip())
                .isEqualTo("parapet scan: --provider: execution provider must be cpu, cuda or cuda:N (N a device number), got 'gpu'");

        Cli.Run both = Cli.run("scan", "--prompt", "hi", "--config", ruleConfig().toString(), "--provider", "cuda");
        assertThat(both.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(both.err().strip()).startsWith("parapet scan: --provider and --strict-provider set the default models' provider")
                .contains("runtime block");
    }
}
