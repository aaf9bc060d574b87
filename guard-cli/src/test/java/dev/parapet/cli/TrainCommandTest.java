package dev.parapet.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code parapet train} on small synthetic data with the small encoder: the pipeline end to end, not model quality. */
class TrainCommandTest {
    private static final String[] NAMES = {"Sam", "Alex", "Kim", "Jo", "Lee", "Max", "Ana", "Ben", "Eva", "Tom"};
    private static final String[] INSULTS = {"You are a stupid idiot, %s.", "Shut up %s, you pathetic moron.", "%s is a worthless loser.",
            "Nobody likes you %s, you disgusting pig.", "Go away %s, you dumb clown."};
    private static final String[] KIND = {"Have a lovely day, %s.", "Thanks for the recipe, %s!", "%s, the meeting moved to Tuesday.",
            "Could you send me the map, %s?", "Congratulations on the new job, %s."};

    @TempDir
    Path tmp;

    private Path toxicity(String name, int n, long seed) throws IOException {
        Random rnd = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean toxic = i % 2 == 0;
            String[] t = toxic ? INSULTS : KIND;
            String text = String.format(t[rnd.nextInt(t.length)], NAMES[rnd.nextInt(NAMES.length)]);
            lines.add("{\"text\": \"" + text + "\", \"label\": \"" + (toxic ? "toxic" : "non-toxic") + "\"}");
        }
        Path f = tmp.resolve(name);
        Files.write(f, lines, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void should_train_report_on_dev_write_the_head_and_export_a_fused_model_that_eval_loads() throws IOException {
        Path train = toxicity("train.jsonl", 60, 1);
        Path dev = toxicity("dev.jsonl", 20, 2);
        Path heads = tmp.resolve("heads");
        Path fused = tmp.resolve("fused-toxicity");

        Cli.Run r = Cli.run("train", "--task", "toxicity", "--data", train.toString(), "--dev", dev.toString(), "--out", heads.toString(),
                "--fused", fused.toString(), "--encoder", "minilm", "--max-length", "64", "--head", "linear",
                "--cache", tmp.resolve("cache").toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("toxicity head: linear")
                .contains("of all-minilm-l6-v2-q (64-token windows)", "wrote " + heads.resolve("toxicity.json"),
                        "fused ONNX model: " + fused, "validation split per candidate:", "| candidate ")
                .contains("dev report (" + dev + ", 20 rows", "              precision    recall  f1-score   support\n")
                .containsPattern("(?m)^ROC-AUC    [01]\\.\\d{4}$");
        assertThat(heads.resolve("toxicity.json")).content().contains("\"format\": \"parapet-head/1\"", "parapet train");
        assertThat(fused.resolve("model.onnx")).exists();

        // the fused model is an ordinary classifier directory: eval reads its threshold from config.json
        Cli.Run ev = Cli.run("eval", "--task", "toxicity", "--data", dev.toString(), "--model", fused.toString(), "--json");
        assertThat(ev.code()).as(ev.err()).isZero();
        JsonObject j = JsonParser.parseString(ev.out().strip()).getAsJsonObject();
        assertThat(j.get("description").getAsString()).contains("(config.json)");
        // insults and kind words separate easily
        assertThat(j.get("roc_auc").getAsDouble()).isGreaterThan(0.9);
    }

    @Test
    void should_train_a_preference_head_and_print_pairwise_accuracy_as_json() throws IOException {
        Random rnd = new Random(3);
        List<String> lines = new ArrayList<>();
        String[] questions = {"What is the capital of %s?", "Where is %s?", "Tell me about %s.", "How big is %s?"};
        String[] places = {"France", "Peru", "Japan", "Kenya", "Chile", "Norway", "Egypt", "India", "Spain", "Canada"};
        for (int i = 0; i < 40; i++) {
            String place = places[rnd.nextInt(places.length)];
            String q = String.format(questions[rnd.nextInt(questions.length)], place);
            lines.add("{\"prompt\": \"" + q + "\", \"chosen\": \"" + place + " is a country with a long history and many cities.\", "
                    + "\"rejected\": \"" + (rnd.nextBoolean() ? "I don't know." : "I'm not going to answer that.") + "\"}");
        }
        Path train = tmp.resolve("pref-train.jsonl");
        Files.write(train, lines.subList(0, 30), StandardCharsets.UTF_8);
        Path dev = tmp.resolve("pref-dev.jsonl");
        Files.write(dev, lines.subList(30, 40), StandardCharsets.UTF_8);

        Cli.Run r = Cli.run("train", "--task", "preference", "--data", train.toString(), "--dev", dev.toString(), "--out",
                tmp.resolve("heads").toString(), "--encoder", "minilm", "--max-length", "64", "--cache", tmp.resolve("cache").toString(),
                "--json");

        assertThat(r.code()).as(r.err()).isZero();
        JsonObject j = JsonParser.parseString(r.out().strip()).getAsJsonObject();
        assertThat(j.get("pairwise_accuracy").getAsDouble()).isBetween(0.0, 1.0);
        assertThat(j.get("support").getAsInt()).isEqualTo(10);
        assertThat(tmp.resolve("heads/preference.json")).exists();
    }

    /**
     * Trains a toxicity head on small files with {@code options} beside the common ones, exports it fused, checks that
     * the fused model evaluates well through {@code parapet eval}; returns the head's JSON and the fused config.json.
     */
    private JsonObject[] trainFusedToxicity(String name, String... options) throws IOException {
        Path train = toxicity("train.jsonl", 60, 3);
        Path dev = toxicity("dev.jsonl", 20, 4);
        Path heads = tmp.resolve("heads-" + name);
        Path fused = tmp.resolve("fused-" + name);
        List<String> args = new ArrayList<>(List.of("train", "--task", "toxicity", "--data", train.toString(), "--dev", dev.toString(),
                "--out", heads.toString(), "--fused", fused.toString(), "--encoder", "minilm", "--max-length", "64", "--head", "linear",
                "--cache", tmp.resolve("cache").toString()));
        args.addAll(List.of(options));

        Cli.Run r = Cli.run(args.toArray(new String[0]));

        assertThat(r.code()).as(r.err()).isZero();
        JsonObject head = JsonParser.parseString(Files.readString(heads.resolve("toxicity.json"))).getAsJsonObject();
        JsonObject config = JsonParser.parseString(Files.readString(fused.resolve("config.json"))).getAsJsonObject();
        Cli.Run ev = Cli.run("eval", "--task", "toxicity", "--data", dev.toString(), "--model", fused.toString(), "--json");
        assertThat(ev.code()).as(ev.err()).isZero();
        assertThat(JsonParser.parseString(ev.out().strip()).getAsJsonObject().get("roc_auc").getAsDouble()).isGreaterThan(0.9);
        return new JsonObject[] {head, config};
    }

    private static int firstLayerInputs(JsonObject head) {
        return head.getAsJsonArray("layers").get(0).getAsJsonObject().get("in").getAsInt();
    }

    @Test
    void should_train_a_head_that_also_reads_the_opening_and_export_it_fused() throws IOException {
        JsonObject[] hc = trainFusedToxicity("opening", "--opening", "6");

        assertThat(hc[0].getAsJsonObject("opening").get("tokens").getAsInt()).isEqualTo(6);
        assertThat(firstLayerInputs(hc[0])).as("CLS, mean, max of the windows and of the opening").isEqualTo(384 * 6);
        assertThat(hc[1].get("opening_tokens").getAsInt()).isEqualTo(6);
    }

    @Test
    void should_train_a_head_on_an_intermediate_layer_too_and_export_it_fused() throws IOException {
        JsonObject[] hc = trainFusedToxicity("layers", "--opening", "6", "--layers", "2");

        assertThat(hc[0].getAsJsonArray("taps").get(0).getAsString()).isEqualTo("/encoder/layer.2/output/LayerNorm/Add_1_output_0");
        assertThat(firstLayerInputs(hc[0]))
                .as("CLS, mean, max of the windows and of the opening, each of the last layer and of layer 2").isEqualTo(384 * 6 * 2);
        assertThat(hc[1].getAsJsonArray("taps")).hasSize(1);

        Path train = toxicity("train.jsonl", 60, 3);
        Path dev = toxicity("dev.jsonl", 20, 4);
        Path heads = tmp.resolve("heads-layers");
        Cli.Run bad = Cli.run("train", "--task", "toxicity", "--data", train.toString(), "--dev", dev.toString(), "--out", heads.toString(),
                "--layers", "seven");
        assertThat(bad.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err().strip()).isEqualTo("parapet train: --layers must be 'none' or 0-based layer numbers separated by commas, got 'seven'");
    }

    @Test
    void should_train_a_head_with_a_lexicon_and_export_it_fused() throws IOException {
        JsonObject[] hc = trainFusedToxicity("lexicon", "--lexicon", "40");

        assertThat(hc[0].getAsJsonArray("lexicon")).hasSize(40);
        assertThat(firstLayerInputs(hc[0])).as("CLS, mean, max of the windows, then the lexicon").isEqualTo(384 * 3 + 40);
        assertThat(hc[1].getAsJsonArray("lexicon")).hasSize(40);

        Path train = toxicity("train.jsonl", 60, 3);
        Path dev = toxicity("dev.jsonl", 20, 4);
        Path heads = tmp.resolve("heads-lexicon");
        Cli.Run bad = Cli.run("train", "--task", "toxicity", "--data", train.toString(), "--dev", dev.toString(), "--out", heads.toString(),
                "--lexicon", "-3");
        assertThat(bad.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err().strip()).isEqualTo("parapet train: --lexicon must be 0 (none) or a positive number of word pieces, got -3");
    }

    @Test
    void should_add_toxic_texts_as_compliance_rows_of_a_refusal_head() throws IOException {
        Random rnd = new Random(7);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String name = NAMES[rnd.nextInt(NAMES.length)];
            boolean refusal = i % 2 == 0;
            String response = refusal ? "I'm sorry " + name + ", but I can't help with that request." : "Sure " + name + ", the answer is " + i + ".";
            lines.add("{\"prompt\": \"Question " + i + "\", \"response\": \"" + response + "\", \"label\": \"" + (refusal ? "refusal" : "compliance") + "\"}");
        }
        Path rows = tmp.resolve("refusal.jsonl");
        Files.write(rows, lines, StandardCharsets.UTF_8);
        // insults alone, no non-toxic row: only toxic rows are used, so that is enough
        Path insults = tmp.resolve("insults.jsonl");
        List<String> insultLines = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            insultLines.add("{\"text\": \"" + String.format(INSULTS[i % INSULTS.length], NAMES[i % NAMES.length]) + "\", \"label\": \"toxic\"}");
        }
        Files.write(insults, insultLines, StandardCharsets.UTF_8);
        Path heads = tmp.resolve("heads");

        Cli.Run r = Cli.run("train", "--task", "refusal", "--data", rows.toString(), "--dev", rows.toString(), "--out", heads.toString(),
                "--encoder", "minilm", "--max-length", "64", "--head", "linear", "--insults", insults.toString(), "--insult-rows", "10",
                "--cache", tmp.resolve("cache").toString());

        assertThat(r.code()).as(r.err()).isZero();
        JsonObject meta = JsonParser.parseString(Files.readString(heads.resolve("refusal.json"))).getAsJsonObject().getAsJsonObject("metadata");
        assertThat(meta.get("toxic_compliance_rows").getAsString()).startsWith("10 toxic texts of insults.jsonl");

        Path tox = toxicity("tox.jsonl", 10, 9);
        Cli.Run wrong = Cli.run("train", "--task", "toxicity", "--data", tox.toString(), "--dev", tox.toString(), "--out",
                heads.toString(), "--insults", insults.toString());
        assertThat(wrong.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(wrong.err().strip()).isEqualTo("parapet train: --insults is for --task refusal");
    }

    @Test
    void should_exit_2_for_an_opening_out_of_range_or_on_a_preference_head() throws IOException {
        Path f = toxicity("t.jsonl", 10, 5);
        Cli.Run r = Cli.run("train", "--task", "toxicity", "--data", f.toString(), "--dev", f.toString(), "--out", tmp.toString(),
                "--opening", "2");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).isEqualTo("parapet train: --opening must be 0 (none) or in [3, --max-length 256], got 2");
        Path p = tmp.resolve("p.jsonl");
        Files.writeString(p, "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n", StandardCharsets.UTF_8);
        Cli.Run q = Cli.run("train", "--task", "preference", "--data", p.toString(), "--dev", p.toString(), "--out", tmp.toString(),
                "--opening", "8");
        assertThat(q.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(q.err()).contains("--opening is for toxicity and refusal heads");
    }

    @Test
    void should_exit_2_when_a_preference_head_is_asked_for_a_fused_export() throws IOException {
        Path f = tmp.resolve("p.jsonl");
        Files.writeString(f, "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n", StandardCharsets.UTF_8);

        Cli.Run r = Cli.run("train", "--task", "preference", "--data", f.toString(), "--dev", f.toString(), "--out", tmp.toString(),
                "--fused", tmp.resolve("x").toString());

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).startsWith("parapet train: --fused exports binary heads").doesNotContain("\n");
    }

    @Test
    void should_exit_2_when_the_data_has_one_label_only() throws IOException {
        Path f = tmp.resolve("one.jsonl");
        Files.writeString(f, "{\"text\": \"a\", \"label\": \"toxic\"}\n{\"text\": \"b\", \"label\": \"toxic\"}\n", StandardCharsets.UTF_8);

        Cli.Run r = Cli.run("train", "--task", "toxicity", "--data", f.toString(), "--dev", f.toString(), "--out", tmp.toString());

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).isEqualTo("parapet train: " + f + " has only 'toxic' rows; training and the report need both labels");
    }

    @Test
    void should_exit_2_when_all_is_asked_of_a_folder_without_the_datasets_layout() {
        Cli.Run r = Cli.run("train", "--task", "all", "--data", tmp.toString(), "--out", tmp.resolve("heads").toString());

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).startsWith("parapet train: --task all needs --data to be a datasets folder").doesNotContain("\n");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "gpt-9             | unknown encoder 'gpt-9'; expected one of",
            "bge-small-en-v1.5 | encoder 'bge-small-en-v1.5' is for measurements only and is not bundled; expected one of"})
    void should_exit_2_for_an_unknown_or_measurement_only_encoder(String encoder, String message) throws IOException {
        Path f = toxicity("t.jsonl", 4, 1);

        Cli.Run r = Cli.run("train", "--task", "toxicity", "--data", f.toString(), "--dev", f.toString(), "--out", tmp.toString(),
                "--encoder", encoder);

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).startsWith("parapet train: " + message).contains("bge-small-en-v1.5-q").doesNotContain("\n");
        assertThat(tmp.resolve("toxicity.json")).doesNotExist();
    }
}
