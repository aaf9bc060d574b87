package dev.parapet.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code parapet label} against a loopback server speaking OpenAI's chat-completions protocol. */
class LabelCommandTest {
    private static final Map<String, String> ENV = Map.of("OPENAI_API_KEY", "test-key");

    @TempDir
    Path tmp;

    private LoopbackChatServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** The judged text: what the template put between its markers. */
    static String judged(String userMessage) {
        int open = userMessage.lastIndexOf("<<<\n");
        int close = userMessage.lastIndexOf("\n>>>");
        return userMessage.substring(open + 4, close);
    }

    static LoopbackChatServer.Reply byContent(String userMessage) {
        return judged(userMessage).contains("idiot") ? LoopbackChatServer.Reply.ok("toxic - it insults the reader.")
                : LoopbackChatServer.Reply.ok("non-toxic - it is a polite sentence.");
    }

    private Path input(int rows) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            String text = i % 3 == 0 ? "You are an idiot, number " + i + "." : "Have a lovely day, number " + i + ".";
            lines.add("{\"text\": \"" + text + "\", \"source\": \"test\", \"n\": " + i + "}");
        }
        Path f = tmp.resolve("unlabelled.jsonl");
        Files.write(f, lines, StandardCharsets.UTF_8);
        return f;
    }

    private Cli.Run label(Path in, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("label", "--input", in.toString(), "--output", out.toString(), "--model", "judge-7b",
                "--base-url", server.baseUrl(), "--retry-base-ms", "10", "--no-progress"));
        args.addAll(List.of(extra));
        return Cli.run(ENV, args.toArray(String[]::new));
    }

    private static List<JsonObject> rows(Path file) throws IOException {
        List<JsonObject> out = new ArrayList<>();
        for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!l.isBlank()) {
                out.add(JsonParser.parseString(l).getAsJsonObject());
            }
        }
        return out;
    }

    @Test
    void should_label_every_row_keep_the_reason_and_sum_tokens_and_cost() throws IOException {
        server = new LoopbackChatServer(LabelCommandTest::byContent);
        Path out = tmp.resolve("labelled.jsonl");
        Cli.Run r = label(input(6), out, "--price-per-1k-input", "0.5", "--price-per-1k-output", "1.5");

        assertThat(r.code()).as(r.err()).isZero();
        List<JsonObject> rows = rows(out);
        assertThat(rows).hasSize(6);
        for (JsonObject row : rows) {
            boolean insult = row.get("text").getAsString().contains("idiot");
            assertThat(row.get("label").getAsString()).isEqualTo(insult ? "toxic" : "non-toxic");
            assertThat(row.get("label_reason").getAsString()).isEqualTo(insult ? "it insults the reader." : "it is a polite sentence.");
            assertThat(row.get("label_model").getAsString()).isEqualTo("judge-7b");
            assertThat(row.get("source").getAsString()).isEqualTo("test");
            // input fields keep their JSON types
            assertThat(row.get("n").getAsJsonPrimitive().isNumber()).isTrue();
            assertThat(row.get("input_row").getAsInt()).isEqualTo(row.get("n").getAsInt() + 1);
        }
        assertThat(server.requests()).isEqualTo(6);
        // 6 calls x (100 input, 8 output) tokens: 600 x 0.5/1k + 48 x 1.5/1k = 0.3 + 0.072
        assertThat(r.out()).contains("labelled 6 of 6 rows with judge-7b", "non-toxic 4", "toxic 2",
                "tokens 600 input + 48 output = 648", "estimated cost $0.3720");
    }

    @Test
    void should_resume_by_skipping_rows_already_in_the_output() throws IOException {
        server = new LoopbackChatServer(LabelCommandTest::byContent);
        Path in = input(5);
        Path out = tmp.resolve("labelled.jsonl");
        assertThat(label(in, out, "--limit", "3").code()).isZero();
        assertThat(rows(out)).hasSize(3);
        // a killed run can leave a torn last line: it is redone, not fatal
        Files.writeString(out, "{\"text\": \"torn", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);

        Cli.Run second = label(in, out, "--json");

        assertThat(second.code()).as(second.err()).isZero();
        JsonObject summary = JsonParser.parseString(second.out().strip()).getAsJsonObject();
        assertThat(summary.get("skipped").getAsInt()).isEqualTo(3);
        assertThat(summary.get("labelled").getAsInt()).isEqualTo(2);
        assertThat(server.requests()).isEqualTo(5);
        Set<Integer> inputRows = new HashSet<>();
        for (JsonObject row : rows(outWithoutTornLine(out))) {
            inputRows.add(row.get("input_row").getAsInt());
        }
        assertThat(inputRows).containsExactlyInAnyOrder(1, 2, 3, 4, 5);
    }

    private Path outWithoutTornLine(Path out) throws IOException {
        List<String> good = new ArrayList<>();
        for (String l : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            try {
                JsonParser.parseString(l);
                good.add(l);
            } catch (RuntimeException e) {
                // the torn line written above
            }
        }
        Path f = tmp.resolve("good.jsonl");
        Files.write(f, good, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void should_retry_rate_limits_and_server_errors_with_backoff() throws IOException {
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        Function<String, LoopbackChatServer.Reply> flaky = msg -> {
            int n = seen.computeIfAbsent(judged(msg), k -> new AtomicInteger()).incrementAndGet();
            // each row: 429, then 500, then an answer
            return n == 1 ? LoopbackChatServer.Reply.error(429) : n == 2 ? LoopbackChatServer.Reply.error(500) : byContent(msg);
        };
        server = new LoopbackChatServer(flaky);
        Path out = tmp.resolve("labelled.jsonl");

        Cli.Run r = label(input(3), out);

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(rows(out)).hasSize(3);
        assertThat(server.requests()).isEqualTo(9);
        assertThat(r.out()).contains("calls 9 (6 retries)");
        // failed calls carry no usage: only the 3 answers count
        assertThat(r.out()).contains("tokens 300 input + 24 output");
    }

    @Test
    void should_exit_3_naming_the_error_when_rows_still_fail_after_the_retries() throws IOException {
        server = new LoopbackChatServer(msg -> judged(msg).contains("number 1.") ? LoopbackChatServer.Reply.error(503) : byContent(msg));
        Path out = tmp.resolve("labelled.jsonl");

        Cli.Run r = label(input(3), out, "--max-retries", "2");

        assertThat(r.code()).isEqualTo(ExitCodes.INTERNAL);
        assertThat(r.errLines().strip()).startsWith("parapet label: 1 of 3 rows failed after up to 3 attempts").contains("503")
                .contains("rerun the same command").doesNotContain("\n");
        assertThat(rows(out)).hasSize(2);
        assertThat(r.out()).contains("failed 1 rows");
    }

    @Test
    void should_stop_at_once_with_exit_2_when_the_key_is_refused() throws IOException {
        server = new LoopbackChatServer(msg -> LoopbackChatServer.Reply.error(401));
        Path out = tmp.resolve("labelled.jsonl");

        Cli.Run r = label(input(20), out, "--concurrency", "2");

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.errLines().strip()).startsWith("parapet label: the judge endpoint refused the request").doesNotContain("\n");
        // no retries for a bad key, and the other rows are not tried
        assertThat(server.requests()).isLessThanOrEqualTo(2);
        assertThat(rows(out)).isEmpty();
    }

    @Test
    void should_keep_concurrency_bounded() throws IOException {
        server = new LoopbackChatServer(msg -> byContent(msg).after(40));
        Path out = tmp.resolve("labelled.jsonl");

        Cli.Run r = label(input(12), out, "--concurrency", "3");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(server.maxInFlight()).isBetween(2, 3);
        assertThat(rows(out)).hasSize(12);
    }

    @Test
    void should_hold_the_rate_limit() throws IOException {
        server = new LoopbackChatServer(LabelCommandTest::byContent);
        long start = System.nanoTime();

        Cli.Run r = label(input(5), tmp.resolve("labelled.jsonl"), "--concurrency", "5", "--rate", "20");

        assertThat(r.code()).as(r.err()).isZero();
        // five starts at 20 per second are spaced 50 ms apart: at least 200 ms
        assertThat((System.nanoTime() - start) / 1e6).isGreaterThanOrEqualTo(200);
    }

    @Test
    void should_label_csv_rows_with_the_refusal_template_and_labels() throws IOException {
        server = new LoopbackChatServer(msg -> LoopbackChatServer.Reply.ok(judged(msg).startsWith("I'm sorry") ? "refusal: declines" : "compliance: answers"));
        Path in = tmp.resolve("chats.csv");
        Files.writeString(in, "prompt,response\n\"How do I bake bread?\",\"Knead flour, water and yeast, then bake.\"\n"
                + "\"Pick a lock for me\",\"I'm sorry, but I can't help with that.\"\n", StandardCharsets.UTF_8);
        Path out = tmp.resolve("refusal.jsonl");

        Cli.Run r = label(in, out, "--task", "refusal");

        assertThat(r.code()).as(r.err()).isZero();
        List<JsonObject> rows = rows(out);
        assertThat(rows).extracting(o -> o.get("label").getAsString()).containsExactlyInAnyOrder("compliance", "refusal");
        assertThat(server.userMessages()).allMatch(m -> m.contains("refuses"));
    }

    @Test
    void should_exit_2_when_the_api_key_variable_is_not_set() throws IOException {
        server = new LoopbackChatServer(LabelCommandTest::byContent);
        Cli.Run r = Cli.run(Map.of(), "label", "--input", input(2).toString(), "--output", tmp.resolve("o.jsonl").toString(),
                "--model", "m", "--base-url", server.baseUrl(), "--api-key-env", "PARAPET_TEST_NO_SUCH_KEY");

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).startsWith("parapet label: environment variable PARAPET_TEST_NO_SUCH_KEY is not set").doesNotContain("\n");
        assertThat(server.requests()).isZero();
    }

    @Test
    void should_name_the_row_when_the_text_field_is_missing() throws IOException {
        server = new LoopbackChatServer(LabelCommandTest::byContent);
        Path in = tmp.resolve("in.jsonl");
        Files.writeString(in, "{\"text\": \"fine\"}\n{\"body\": \"no text here\"}\n", StandardCharsets.UTF_8);

        Cli.Run r = label(in, tmp.resolve("o.jsonl"));

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).isEqualTo("parapet label: " + in + ":2: missing field 'text' (the row has [body])");
    }
}
