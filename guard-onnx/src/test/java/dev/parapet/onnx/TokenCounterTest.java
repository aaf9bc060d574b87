package dev.parapet.onnx;

import dev.parapet.core.ModelLoadException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Token counts and UTF-16 offsets from the real MiniLM tokenizer shipped on Maven Central. */
class TokenCounterTest {
    static TokenCounter counter;

    @BeforeAll
    static void load() {
        counter = TokenCounter.fromResource(TokenCounterTest.class.getClassLoader(), Encoders.MINILM_TOKENIZER);
    }

    @AfterAll
    static void close() {
        counter.close();
    }

    @Test
    void should_count_without_special_tokens_padding_or_truncation() {
        assertThat(counter.count("")).isZero();
        assertThat(counter.count("hello world")).isEqualTo(2);
        // MiniLM's tokenizer.json truncates and pads to 128: neither may leak into a count.
        assertThat(counter.count("word ".repeat(300))).isEqualTo(300);
    }

    @Test
    void should_give_utf16_end_offsets_after_emoji() {
        String text = "😀😀 password=hunter2";
        int[] ends = counter.offsets(text);
        assertThat(ends).hasSize(counter.count(text));
        List<String> pieces = new ArrayList<>();
        int from = 0;
        for (int end : ends) {
            pieces.add(text.substring(from, end).strip());
            from = end;
        }
        // BERT knows no emoji: one [UNK] covering both, i.e. 4 UTF-16 units, not 2 code points.
        assertThat(ends[0]).isEqualTo(4);
        assertThat(pieces).containsExactly("😀😀", "password", "=", "hunter", "2");
        assertThat(ends[ends.length - 1]).isEqualTo(text.length());
    }

    @Test
    void should_give_spans_whose_starts_and_ends_cut_out_each_token() {
        String text = "a 𝄞 note: unbelievable";
        TokenCounter.Spans spans = counter.spans(text);
        List<String> tokens = new ArrayList<>();
        for (int t = 0; t < spans.count(); t++) {
            assertThat(spans.start(t)).isLessThanOrEqualTo(spans.end(t));
            tokens.add(text.substring(spans.start(t), spans.end(t)));
        }
        assertThat(tokens).containsExactly("a", "𝄞", "note", ":", "unbelievable");
    }

    @Test
    void should_keep_offsets_aligned_when_text_has_lone_surrogates_and_control_characters() {
        String text = "ab\uD83D cd\u0000ef \uDE00gh";
        int[] ends = counter.offsets(text);
        assertThat(ends).isSorted();
        assertThat(ends[ends.length - 1]).isEqualTo(text.length());
        assertThat(text.substring(0, ends[0])).isEqualTo("ab");
        assertThat(TokenCounter.withoutLoneSurrogates(text)).hasSameSizeAs(text).doesNotContain("\uD83D", "\uDE00");
        assertThat(TokenCounter.withoutLoneSurrogates("😀")).isEqualTo("😀");
    }

    @Test
    void should_count_a_megabyte_text() {
        String text = "lorem ipsum dolor sit amet ".repeat(40_000);
        int[] ends = counter.offsets(text);
        assertThat(ends).hasSize(counter.count(text));
        assertThat(ends.length).isGreaterThan(100_000);
        assertThat(ends[ends.length - 1]).isEqualTo(text.strip().length());
    }

    @Test
    void should_count_identically_from_many_threads() throws Exception {
        String text = "Thread safety matters: 😀 ünïcödé and more words to count.";
        int expected = counter.count(text);
        int[] expectedEnds = counter.offsets(text);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<int[]>> futures = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                futures.add(pool.submit(() -> counter.offsets(text)));
            }
            for (Future<int[]> f : futures) {
                assertThat(f.get()).containsExactly(expectedEnds);
                assertThat(f.get()).hasSize(expected);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void should_load_from_a_model_source_and_a_file(@TempDir Path dir) throws Exception {
        String text = "The same tokenizer, three ways.";
        try (TokenCounter viaSource = TokenCounter.load(Encoders.minilm())) {
            assertThat(viaSource.offsets(text)).containsExactly(counter.offsets(text));
        }
        Path file = dir.resolve("tokenizer.json");
        try (var in = getClass().getClassLoader().getResourceAsStream(Encoders.MINILM_TOKENIZER)) {
            Files.write(file, in.readAllBytes());
        }
        try (TokenCounter viaFile = TokenCounter.load(file)) {
            assertThat(viaFile.count(text)).isEqualTo(counter.count(text));
            assertThat(viaFile.name()).endsWith("tokenizer.json");
        }
    }

    @Test
    void should_fail_to_load_with_a_message_naming_the_file(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> TokenCounter.load(dir.resolve("missing.json")))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("missing.json");
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{ not a tokenizer");
        assertThatThrownBy(() -> TokenCounter.load(broken))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("broken.json");
        assertThatThrownBy(() -> TokenCounter.fromResource("no/such/tokenizer.json"))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("no/such/tokenizer.json");
        assertThatThrownBy(() -> TokenCounter.load((Path) null))
                .isInstanceOf(NullPointerException.class).hasMessage("tokenizerJson");
    }

    @Test
    void should_close_idempotently_and_refuse_later_calls() {
        TokenCounter local = TokenCounter.fromResource(Encoders.MINILM_TOKENIZER);
        assertThat(local.count("x")).isEqualTo(1);
        local.close();
        local.close();
        assertThatThrownBy(() -> local.count("x")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }
}
