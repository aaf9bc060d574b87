package dev.parapet.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parapet.demo.DemoModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code parapet eval}: the default models, a model directory, a configuration and a judge against labelled rows. */
class EvalCommandTest {
    /** Clear cases, so any reasonable toxicity scanner gets most of them right. */
    static final String TOXICITY = """
            {"text": "You are a worthless idiot and everybody hates you.", "label": "toxic"}
            {"text": "Shut up, you stupid moron.", "label": "toxic"}
            {"text": "I hope you die, you disgusting pig.", "label": "toxic"}
            {"text": "What a pathetic loser you are, idiot.", "label": "toxic"}
            {"text": "Could you recommend a good book about birds?", "label": "non-toxic"}
            {"text": "Thank you so much for your help yesterday.", "label": "non-toxic"}
            {"text": "The museum opens at nine on weekdays.", "label": "non-toxic"}
            {"text": "I like to bake bread on Sunday mornings.", "label": "non-toxic"}
            {"text": "Have a wonderful trip to Lisbon!", "label": "non-toxic"}
            {"text": "Please send me the report when it is ready.", "label": "non-toxic"}
            """;

    @TempDir
    Path tmp;

    private Path file(String name, String content) throws IOException {
        Path f = tmp.resolve(name);
        Files.writeString(f, content, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void should_print_the_classification_report_auc_confusion_matrix_and_threshold() throws IOException {
        Path data = file("tox.jsonl", TOXICITY);

        Cli.Run r = Cli.run("eval", "--task", "toxicity", "--data", data.toString());

        assertThat(r.code()).as(r.err()).isZero();
        String out = r.out();
        // scikit-learn's classification_report layout, line by line
        assertThat(out).contains("              precision    recall  f1-score   support\n\n")
                .containsPattern("(?m)^   non-toxic       [01]\\.\\d\\d      [01]\\.\\d\\d      [01]\\.\\d\\d         6$")
                .containsPattern("(?m)^       toxic       [01]\\.\\d\\d      [01]\\.\\d\\d      [01]\\.\\d\\d         4$")
                .containsPattern("(?m)^    accuracy                           [01]\\.\\d\\d        10$")
                .containsPattern("(?m)^   macro avg       [01]\\.\\d\\d      [01]\\.\\d\\d      [01]\\.\\d\\d        10$")
                .containsPattern("(?m)^weighted avg       [01]\\.\\d\\d      [01]\\.\\d\\d      [01]\\.\\d\\d        10$")
                .containsPattern("(?m)^ROC-AUC    [01]\\.\\d{4}$")
                .containsPattern("(?m)^PR-AUC     [01]\\.\\d{4} \\(average precision of 'toxic'\\)$")
                .containsPattern("(?m)^threshold  0\\.\\d{4} \\(the scanner's")
                .contains("confusion matrix (rows: true label, columns: predicted)")
                .containsPattern("(?m)^\\s+non-toxic  toxic$")
                .containsPattern("(?m)^  non-toxic\\s+\\d+\\s+\\d+$")
                .contains("scored 10 rows");
    }

    @Test
    void should_print_one_json_object_with_the_documented_keys() throws IOException {
        Path data = file("tox.jsonl", TOXICITY);

        Cli.Run r = Cli.run("eval", "--task", "toxicity", "--data", data.toString(), "--json");

        assertThat(r.code()).as(r.err()).isZero();
        JsonObject j = JsonParser.parseString(r.out().strip()).getAsJsonObject();
        assertThat(j.keySet()).contains("precision", "recall", "f1", "macro_f1", "accuracy", "roc_auc", "pr_auc", "threshold", "support",
                "confusion_matrix");
        for (String k : List.of("precision", "recall", "f1", "macro_f1", "accuracy", "roc_auc", "pr_auc", "threshold")) {
            assertThat(j.get(k).getAsDouble()).as(k).isBetween(0.0, 1.0);
        }
        assertThat(j.get("support").getAsInt()).isEqualTo(10);
        // the same numbers as the matrix: accuracy is its diagonal, recall of 'toxic' its second row
        var m = j.getAsJsonArray("confusion_matrix");
        long tn = m.get(0).getAsJsonArray().get(0).getAsLong();
        long fp = m.get(0).getAsJsonArray().get(1).getAsLong();
        long fn = m.get(1).getAsJsonArray().get(0).getAsLong();
        long tp = m.get(1).getAsJsonArray().get(1).getAsLong();
        assertThat(tn + fp + fn + tp).isEqualTo(10);
        assertThat(tn + fp).isEqualTo(6);
        assertThat(j.get("accuracy").getAsDouble()).isCloseTo((tn + tp) / 10.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(j.get("recall").getAsDouble()).isCloseTo(tp / 4.0, org.assertj.core.data.Offset.offset(1e-9));
        // clear cases: the default head separates them
        assertThat(j.get("roc_auc").getAsDouble()).isGreaterThan(0.9);
    }

    @Test
    void should_sweep_thresholds_with_the_scanners_own_among_them() throws IOException {
        Path data = file("tox.jsonl", TOXICITY);

        Cli.Run text = Cli.run("eval", "--task", "toxicity", "--data", data.toString(), "--sweep");
        Cli.Run json = Cli.run("eval", "--task", "toxicity", "--data", data.toString(), "--sweep", "--json");

        assertThat(text.code()).as(text.err()).isZero();
        assertThat(text.out()).contains("threshold sweep for").containsPattern("(?m)^\\s+0\\.1000\\s+[01]\\.\\d{4}\\s")
                .containsPattern("(?m)^\\s+0\\.\\d{4} \\(scanner's\\)\\s+[01]\\.\\d{4}\\s").contains("%");
        JsonObject j = JsonParser.parseString(json.out().strip()).getAsJsonObject();
        var sweep = j.getAsJsonArray("sweep");
        assertThat(sweep.size()).isBetween(9, 10);
        double own = j.get("threshold").getAsDouble();
        double previousThreshold = 0;
        double previousShare = 1;
        boolean sawOwn = false;
        for (var e : sweep) {
            JsonObject row = e.getAsJsonObject();
            double t = row.get("threshold").getAsDouble();
            double share = row.get("flagged_share").getAsDouble();
            assertThat(t).isGreaterThan(previousThreshold);
            assertThat(share).as("a higher threshold flags no more rows").isLessThanOrEqualTo(previousShare);
            previousThreshold = t;
            previousShare = share;
            if (t == own) {
                // the scanner's own row repeats the report's figures
                sawOwn = true;
                for (String k : List.of("precision", "recall", "f1", "macro_f1")) {
                    assertThat(row.get(k).getAsDouble()).as(k).isEqualTo(j.get(k).getAsDouble());
                }
            }
        }
        assertThat(sawOwn).isTrue();
        // 4 of 10 rows are toxic and the head separates them: at 0.1 at least those are flagged
        assertThat(sweep.get(0).getAsJsonObject().get("flagged_share").getAsDouble()).isGreaterThanOrEqualTo(0.4);

        Cli.Run pref = Cli.run("eval", "--task", "preference", "--data", data.toString(), "--sweep");
        assertThat(pref.code()).isEqualTo(2);
        assertThat(pref.err()).contains("--sweep needs a task with a flagged class");
    }

    @Test
    void should_compare_several_models_in_one_table_and_write_plots() throws IOException {
        Path data = file("tox.jsonl", TOXICITY);
        Path demo = DemoModels.toxicity();
        Path config = file("guard.json", "{\"input_scanners\": [{\"type\": \"toxicity\", \"params\": {\"threshold\": 0.9}}]}");
        Path plots = tmp.resolve("plots");

        Cli.Run r = Cli.run("eval", "--task", "toxicity", "--data", data.toString(), "--defaults", "--model", demo.toString(),
                "--config", config.toString(), "--plots", plots.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("| model ", "| threshold |", "| ROC-AUC |", "| PR-AUC |")
                .containsPattern("(?m)^\\| default\\s+\\|\\s+0\\.\\d{4} \\|")
                .containsPattern("(?m)^\\| " + java.util.regex.Pattern.quote(demo.toString()) + "\\s+\\|\\s+0\\.5000 \\|")
                .containsPattern("(?m)^\\| " + java.util.regex.Pattern.quote(config + ":toxicity") + "\\s+\\|\\s+0\\.9000 \\|")
                .contains("threshold 0.5000 (default)");
        for (String png : List.of("roc.png", "precision-recall.png", "scores-default.png")) {
            Path f = plots.resolve(png);
            assertThat(f).exists();
            try (InputStream in = Files.newInputStream(f)) {
                assertThat(in.readNBytes(4)).containsExactly(0x89, 'P', 'N', 'G');
            }
        }
        try (var files = Files.list(plots)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith("scores-")).count()).isEqualTo(3);
        }
    }

    @Test
    void should_print_pairwise_accuracy_for_preference() throws IOException {
        Path data = file("pref.jsonl", """
                {"prompt": "What is the capital of France?", "chosen": "The capital of France is Paris.", "rejected": "I don't know."}
                {"prompt": "How do I boil an egg?", "chosen": "Put the egg in boiling water for nine minutes, then cool it in cold water.", "rejected": "I'm sorry, I can't help with that."}
                {"prompt": "Name a primary colour.", "chosen": "Red is a primary colour.", "rejected": "Why do you want to know?"}
                """);

        Cli.Run text = Cli.run("eval", "--task", "preference", "--data", data.toString());
        Cli.Run json = Cli.run("eval", "--task", "preference", "--data", data.toString(), "--json");

        assertThat(text.code()).as(text.err()).isZero();
        assertThat(text.out()).containsPattern("(?m)^pairwise accuracy  [01]\\.\\d{4} ")
                .contains("flags a preference below", "of chosen", "of rejected responses");
        JsonObject j = JsonParser.parseString(json.out().strip()).getAsJsonObject();
        assertThat(j.get("pairwise_accuracy").getAsDouble()).isBetween(0.0, 1.0);
        assertThat(j.get("support").getAsInt()).isEqualTo(3);
        // an answer beats a non-answer: the default head gets these right
        assertThat(j.get("pairwise_accuracy").getAsDouble()).isGreaterThanOrEqualTo(2 / 3.0);
    }

    @Test
    void should_evaluate_an_llm_judge_with_0_1_scores() throws IOException {
        Path data = file("tox.jsonl", TOXICITY);
        try (LoopbackChatServer server = new LoopbackChatServer(msg -> {
            String text = LabelCommandTest.judged(msg).toLowerCase(java.util.Locale.ROOT);
            boolean toxic = List.of("idiot", "moron", "pig", "loser").stream().anyMatch(text::contains);
            return LoopbackChatServer.Reply.ok(toxic ? "toxic - insult" : "non-toxic - polite");
        })) {
            Cli.Run r = Cli.run(Map.of("JUDGE_KEY", "k"), "eval", "--task", "toxicity", "--data", data.toString(), "--judge-model", "big-judge",
                    "--judge-base-url", server.baseUrl(), "--judge-api-key-env", "JUDGE_KEY", "--json");

            assertThat(r.code()).as(r.err()).isZero();
            JsonObject j = JsonParser.parseString(r.out().strip()).getAsJsonObject();
            assertThat(j.get("model").getAsString()).isEqualTo("judge:big-judge");
            assertThat(j.get("judge").getAsBoolean()).isTrue();
            assertThat(j.get("threshold").getAsDouble()).isEqualTo(0.5);
            assertThat(j.get("accuracy").getAsDouble()).isEqualTo(1.0);
            assertThat(j.get("roc_auc").getAsDouble()).isEqualTo(1.0);
            assertThat(server.requests()).isEqualTo(10);
        }
    }

    @Test
    void should_exit_2_naming_file_and_line_of_a_bad_label() throws IOException {
        Path data = file("bad.jsonl", "{\"text\": \"a\", \"label\": \"toxic\"}\n{\"text\": \"b\", \"label\": \"maybe\"}\n");

        Cli.Run r = Cli.run("eval", "--task", "toxicity", "--data", data.toString());

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).isEqualTo("parapet eval: " + data + ":2: label 'maybe' is neither 'toxic' nor 'non-toxic'");
    }

    @Test
    void should_exit_2_listing_the_scanners_when_the_configuration_has_none_for_the_task() throws IOException {
        Path data = file("ref.jsonl", "{\"prompt\": \"p\", \"response\": \"r\", \"label\": \"refusal\"}\n");
        Path config = file("rules.json", "{\"output_scanners\": [{\"type\": \"secrets\"}]}");

        Cli.Run r = Cli.run("eval", "--task", "refusal", "--data", data.toString(), "--config", config.toString());

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).startsWith("parapet eval: configuration " + config + " has no output scanner named 'refusal'")
                .contains("output[secrets]", "--scanner NAME").doesNotContain("\n");
    }

    @Test
    void should_exit_2_for_a_model_directory_on_preference() throws IOException {
        Path data = file("pref.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");

        Cli.Run r = Cli.run("eval", "--task", "preference", "--data", data.toString(), "--model", tmp.toString());

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).startsWith("parapet eval: --model reads a text classifier").doesNotContain("\n");
    }

    @Test
    void should_reach_the_documented_quality_on_a_slice_of_the_shared_refusal_dev_set() throws IOException {
        Path dev = SharedData.datasets().resolve("refusal/dev.jsonl");
        // every 12th row: the file is grouped by source
        List<String> lines = Files.readAllLines(dev, StandardCharsets.UTF_8);
        List<String> slice = new ArrayList<>();
        for (int i = 0; i < lines.size(); i += 12) {
            slice.add(lines.get(i));
        }
        Path data = tmp.resolve("refusal-slice.jsonl");
        Files.write(data, slice, StandardCharsets.UTF_8);

        Cli.Run r = Cli.run("eval", "--task", "refusal", "--data", data.toString(), "--json");

        assertThat(r.code()).as(r.err()).isZero();
        JsonObject j = JsonParser.parseString(r.out().strip()).getAsJsonObject();
        assertThat(j.get("support").getAsInt()).isEqualTo(slice.size());
        // docs/models.md: macro-F1 0.79, ROC-AUC 0.91 on the whole dev set; a 59-row slice stays well above chance
        assertThat(j.get("roc_auc").getAsDouble()).isGreaterThan(0.8);
        assertThat(j.get("macro_f1").getAsDouble()).isGreaterThan(0.65);
    }

    @Test
    void should_load_the_default_models_on_the_provider_asked_for() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                ai.onnxruntime.OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA), "this host has CUDA");
        Path data = file("tox.jsonl", TOXICITY);

        Cli.Run r = Cli.run("eval", "--task", "toxicity", "--data", data.toString(), "--provider", "cuda", "--strict-provider");

        // strict CUDA on a host without it: the default candidate fails to load, naming the setting
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.errLines()).contains("CUDA device 0 was requested with strictProvider(true)");
    }
}
