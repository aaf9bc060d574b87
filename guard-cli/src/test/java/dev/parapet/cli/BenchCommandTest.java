package dev.parapet.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code parapet bench}: throughput and latency percentiles. */
class BenchCommandTest {
    @TempDir
    Path tmp;

    @Test
    void should_report_throughput_percentiles_threads_and_provider_of_the_default_models() {
        Cli.Run r = Cli.run("bench", "--generate", "12", "--words", "12", "--warmup", "2", "--threads", "1", "--no-progress");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("scanners  prompt[toxicity] output[toxicity, refusal, preference]",
                        "input     12 exchanges (24 texts), generated, 12 words per text",
                        "setup     provider CPU, 1 intra-op thread(s), 1 client thread(s), batch 1, 2 warm-up call(s)")
                .containsPattern("(?m)^throughput  \\d+\\.\\d exchanges/s, \\d+\\.\\d texts/s \\(12 calls in ")
                .containsPattern("(?m)^latency     p50 \\d+\\.\\d ms, p90 \\d+\\.\\d ms, p95 \\d+\\.\\d ms, p99 \\d+\\.\\d ms, max \\d+\\.\\d ms, mean")
                .contains("output:refusal");
    }

    @Test
    void should_print_json_for_a_configuration_on_an_input_file_in_batches() throws IOException {
        Path config = tmp.resolve("guard.json");
        Files.writeString(config, "{\"input_scanners\": [{\"type\": \"secrets\"}, {\"type\": \"invisible_text\"}]}", StandardCharsets.UTF_8);
        Path in = tmp.resolve("in.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            sb.append("{\"prompt\": \"message number ").append(i).append("\"}\n");
        }
        Files.writeString(in, sb.toString(), StandardCharsets.UTF_8);

        Cli.Run r = Cli.run("bench", "--config", config.toString(), "--input", in.toString(), "--batch-size", "8", "--concurrency", "2",
                "--json");

        assertThat(r.code()).as(r.err()).isZero();
        JsonObject j = JsonParser.parseString(r.out().strip()).getAsJsonObject();
        assertThat(j.get("exchanges").getAsInt()).isEqualTo(30);
        assertThat(j.get("calls").getAsInt()).isEqualTo(4);
        assertThat(j.get("client_threads").getAsInt()).isEqualTo(2);
        assertThat(j.get("exchanges_per_second").getAsDouble()).isPositive();
        assertThat(j.getAsJsonObject("latency_ms").keySet()).contains("p50", "p90", "p95", "p99", "max", "mean");
        assertThat(j.get("provider").getAsString()).isEqualTo("none (rule scanners only)");
    }

    @Test
    void should_exit_2_when_threads_are_given_with_a_configuration() throws IOException {
        Path config = tmp.resolve("guard.json");
        Files.writeString(config, "{}", StandardCharsets.UTF_8);

        Cli.Run r = Cli.run("bench", "--config", config.toString(), "--threads", "2");

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).startsWith("parapet bench: --threads sets the default models' threads");
    }

    @Test
    void should_state_the_provider_that_ran_when_cuda_is_asked_for() {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                ai.onnxruntime.OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA), "this host has CUDA");
        Cli.Run r = Cli.run("bench", "--generate", "4", "--words", "8", "--warmup", "0", "--provider", "cuda", "--no-progress");

        assertThat(r.code()).as(r.err()).isZero();
        // the request fell back, and the bench reports what actually ran
        assertThat(r.out()).contains("setup     provider CPU,");
    }
}
