package dev.parapet.bench;

import dev.parapet.onnx.RuntimeOptions;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The benchmark texts must be distinct where the benchmarks rely on it (the shared encoder's memo). */
class BenchTextsTest {

    @Test
    void should_hold_4096_distinct_short_texts_and_13248_distinct_answers() {
        assertThat(new HashSet<>(BenchTexts.SHORT_POOL)).hasSize(4096);
        Set<String> answers = new HashSet<>();
        IntStream.range(0, 24 * 23 * 24).forEach(i -> answers.add(BenchTexts.answer(i)));
        assertThat(answers).hasSize(24 * 23 * 24);
        assertThat(BenchTexts.shortTexts(4000, 200)).doesNotHaveDuplicates().hasSize(200);
    }

    @Test
    void should_build_distinct_long_texts_of_about_the_asked_length() {
        List<String> longs = BenchTexts.longTexts(200, 600, 1000);
        assertThat(longs).doesNotHaveDuplicates();
        for (String t : longs) {
            assertThat(t.split(" ").length).isBetween(600, 640);
        }
        String tenThousand = BenchTexts.longText(10_000, 7);
        assertThat(tenThousand.split(" ").length).isBetween(10_000, 10_040);
    }

    @Test
    void should_set_runtime_options_by_name_and_skip_optional_ones_this_build_lacks() {
        RuntimeOptions o = BenchOptions.parse("intraOpThreads=3;maxBatchSize=16;noSuchSetting?=1");
        assertThat(o.intraOpThreads()).isEqualTo(3);
        assertThat(o.maxBatchSize()).isEqualTo(16);
        assertThatThrownBy(() -> BenchOptions.parse("noSuchSetting=1")).hasMessageContaining("no setter noSuchSetting");
        assertThatThrownBy(() -> BenchOptions.parse("maxBatchSize=0")).hasMessageContaining("maxBatchSize must be >= 1");
    }
}
