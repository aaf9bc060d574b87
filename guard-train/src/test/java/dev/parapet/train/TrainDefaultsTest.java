package dev.parapet.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Needs no dataset: the checks below come before any data is read. */
class TrainDefaultsTest {

    @Test
    void should_refuse_a_partial_run_whose_other_heads_are_not_in_out_before_training(@TempDir Path data, @TempDir Path out) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        EmbeddingCache cache = new EmbeddingCache(out.resolve("cache"));
        assertThatThrownBy(() -> TrainDefaults.run(data, out, 13, cache, new PrintStream(log), Set.of("refusal")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the toxicity head is not retrained")
                .hasMessageContaining(out.resolve("toxicity.json").toString())
                .hasMessageContaining("point --out at a directory that holds it");
        // with toxicity present, the missing preference head is named next
        Files.writeString(out.resolve("toxicity.json"), "{}");
        assertThatThrownBy(() -> TrainDefaults.run(data, out, 13, cache, new PrintStream(log), Set.of("refusal")))
                .hasMessageContaining("the preference head is not retrained");
        assertThat(log.size()).as("nothing trained, nothing logged").isZero();
        assertThat(Files.exists(out.resolve("refusal.json"))).isFalse();
        assertThatThrownBy(() -> TrainDefaults.run(data, out, 13, cache, new PrintStream(log), Set.of("sentiment")))
                .hasMessageContaining("tasks must be some of");
    }
}
