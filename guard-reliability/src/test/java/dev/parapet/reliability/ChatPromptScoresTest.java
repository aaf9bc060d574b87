package dev.parapet.reliability;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ChatPromptScoresTest {

    @Test
    void should_compute_nearest_rank_quantiles_and_shares() {
        double[] s = {0.9, 0.1, 0.5, 0.3, 0.7};
        assertThat(ChatPromptScores.quantile(s, 0.5)).isEqualTo(0.5);
        assertThat(ChatPromptScores.quantile(s, 0.9)).isEqualTo(0.9);
        assertThat(ChatPromptScores.quantile(s, 0.2)).isEqualTo(0.1);
        assertThat(ChatPromptScores.share(s, 0.5)).isEqualTo(0.6);
        assertThat(ChatPromptScores.share(s, 0.95)).isZero();
        assertThat(ChatPromptScores.quantile(new double[0], 0.5)).isNaN();
        assertThat(s).containsExactly(0.9, 0.1, 0.5, 0.3, 0.7); // not sorted in place
    }

    @Test
    void should_give_dev_precision_recall_and_macro_f1_at_a_threshold() {
        double[] toxic = {0.9, 0.8, 0.2, 0.6};    // at 0.5: TP 3, FN 1
        double[] clean = {0.1, 0.7, 0.3, 0.2, 0.0, 0.4}; // at 0.5: FP 1, TN 5
        double[] m = ChatPromptScores.devFigures(toxic, clean, 0.5);
        assertThat(m[0]).isEqualTo(0.75);
        assertThat(m[1]).isEqualTo(0.75);
        // toxic F1 = 6/8, clean F1 = 10/12
        assertThat(m[2]).isCloseTo((0.75 + 10.0 / 12) / 2, within(1e-12));
    }

    @Test
    void should_report_every_set_and_mark_the_trained_threshold() {
        Map<String, double[]> scores = new LinkedHashMap<>();
        scores.put(ChatPromptScores.TOXIC, new double[]{0.95, 0.85});
        scores.put(ChatPromptScores.NON_TOXIC, new double[]{0.05, 0.55});
        scores.put(ChatPromptScores.XSTEST, new double[]{0.45, 0.65, 0.95, 0.1});
        String r = ChatPromptScores.report(scores, 0.44);
        assertThat(r).contains("| " + ChatPromptScores.XSTEST + " | 4 |").contains("| 75.0% |")
                .contains("| **0.4400** (trained) | 0.667 | 1.000 |").contains("| 0.9000 | 1.000 | 0.500 |");
    }

    @Test
    void should_read_the_chat_sets_from_the_shared_layout(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("toxicity"));
        Files.createDirectories(dir.resolve("refusal"));
        Files.createDirectories(dir.resolve("preference"));
        Files.writeString(dir.resolve("toxicity/dev.jsonl"), "{\"text\":\"you idiot\",\"label\":\"toxic\"}\n{\"text\":\"hello\",\"label\":\"non-toxic\"}\n");
        for (String split : List.of("train", "dev")) {
            Files.writeString(dir.resolve("refusal/" + split + ".jsonl"),
                    "{\"prompt\":\"chatgpt " + split + "\",\"response\":\"r\",\"label\":\"refusal\",\"tone\":\"rejected\"}\n"
                            + "{\"prompt\":\"xstest\",\"response\":\"r\",\"label\":\"compliance\",\"tone\":null}\n");
            Files.writeString(dir.resolve("preference/" + split + ".jsonl"),
                    "{\"prompt\":\"Human: first\\n\\nAssistant: a\\n\\nHuman: last " + split + "\",\"chosen\":\"c\",\"rejected\":\"r\"}\n");
        }
        Map<String, List<String>> sets = ChatPromptScores.sets(dir);
        assertThat(sets.get(ChatPromptScores.TOXIC)).containsExactly("you idiot");
        assertThat(sets.get(ChatPromptScores.NON_TOXIC)).containsExactly("hello");
        assertThat(sets.get(ChatPromptScores.CHATGPT)).containsExactly("chatgpt train", "chatgpt dev");
        assertThat(sets.get(ChatPromptScores.XSTEST)).containsExactly("xstest"); // de-duplicated
        assertThat(sets.get(ChatPromptScores.HH)).containsExactly("last train", "last dev");
    }
}
