package dev.parapet.onnx;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link TextEncoder#encodeOpenings} against the first window of an encoder whose windows are that short (real MiniLM). */
class TextEncoderOpeningTest {
    static final int TOKENS = 12;
    static final List<String> TEXTS = List.of(
            "I'm sorry, but I can't help with that request.",
            "I cannot provide instructions on how to pick a lock, because that could be used to break into homes.",
            "a",
            "Sure! Here is a recipe for bread: mix flour, water, salt and yeast, knead, let it rise, and bake it at 230 degrees.",
            "naïve café — résumé 😀 " + "word ".repeat(400),
            "x".repeat(5000) + " tail words here");

    static TextEncoder encoder;
    static TextEncoder shortWindows;

    @BeforeAll
    static void load() {
        encoder = TextEncoder.builder(Encoders.minilm()).maxLength(256).build();
        shortWindows = TextEncoder.builder(Encoders.minilm()).maxLength(TOKENS).stride(2).build();
    }

    @AfterAll
    static void close() {
        encoder.close();
        shortWindows.close();
    }

    @Test
    void should_run_the_ids_of_the_first_window_an_encoder_with_windows_of_that_length_makes() {
        try (TextTokenizer tokenizer = TextTokenizer.load(Encoders.minilm(), TOKENS, 2)) {
            for (int i = 0; i < TEXTS.size(); i++) {
                Window want = tokenizer.windows(List.of(TEXTS.get(i))).get(0);
                Window got = encoder.openingWindow(TEXTS.get(i), i, TOKENS);
                assertThat(got.ids()).as("ids of text %d", i).containsExactly(want.ids());
                assertThat(got.mask()).as("mask of text %d", i).containsExactly(want.mask());
                assertThat(got.owner()).isEqualTo(i);
            }
        }
    }

    @Test
    void should_pool_those_ids_run_on_their_own() {
        List<PooledEmbedding> openings = encoder.encodeOpenings(TEXTS, TOKENS);
        assertThat(openings).hasSize(TEXTS.size());
        for (int i = 0; i < TEXTS.size(); i++) {
            // the short-window encoder runs a text's windows together, which moves a dynamically quantized
            // encoder's numbers a little: close, not equal, except for a text that is one window
            PooledEmbedding alone = shortWindows.encodeWindows(List.of(TEXTS.get(i))).get(0).windows().get(0).embedding();
            assertThat(TextEncoderMicroBatchingTest.cosine(openings.get(i).mean(), alone.mean())).as("text %d", i).isGreaterThan(0.97);
        }
        assertThat(openings.get(2).cls()).containsExactly(shortWindows.encodeWindows(List.of("a")).get(0).pooled().cls());
    }

    @Test
    void should_differ_from_the_whole_text_only_when_the_text_is_longer_than_the_opening() {
        List<PooledEmbedding> openings = encoder.encodeOpenings(TEXTS, TOKENS);
        List<EncodedText> whole = encoder.encodeWindows(TEXTS);
        // "a" is 3 tokens with [CLS] and [SEP]: its opening is the text itself
        assertThat(openings.get(2).cls()).containsExactly(whole.get(2).windows().get(0).embedding().cls());
        assertThat(whole.get(2).windows().get(0).tokens()).isEqualTo(3);
        assertThat(openings.get(1).cls()).isNotEqualTo(whole.get(1).windows().get(0).embedding().cls());
    }

    @Test
    void should_reuse_a_short_texts_encoding_and_encode_only_the_long_ones() {
        try (SharedTextEncoder shared = SharedTextEncoder.of(TextEncoder.builder(Encoders.minilm()).build())) {
            List<EncodedText> known = shared.encode(TEXTS);
            long before = shared.openingsEncoded();
            long texts = shared.textsEncoded();
            List<PooledEmbedding> openings = shared.openings(TEXTS, known, TOKENS);
            assertThat(shared.textsEncoded()).isEqualTo(texts);
            // "a" (3 tokens) and the 5,000-letter word (one [UNK]) plus "tail words here" (6 tokens) fit in 12
            assertThat(known.get(5).windows().get(0).tokens()).isEqualTo(6);
            assertThat(shared.openingsEncoded() - before).isEqualTo(TEXTS.size() - 2);
            assertThat(openings.get(2)).isSameAs(known.get(2).windows().get(0).embedding());
            List<PooledEmbedding> direct = encoder.encodeOpenings(TEXTS, TOKENS);
            for (int i = 0; i < TEXTS.size(); i++) {
                assertThat(openings.get(i).mean()).as("text %d", i).containsExactly(direct.get(i).mean());
            }
            List<EncodedText> unknown = new ArrayList<>();
            TEXTS.forEach(t -> unknown.add(null));
            assertThat(shared.openings(TEXTS, unknown, TOKENS).get(3).cls()).containsExactly(direct.get(3).cls());
        }
    }

    @Test
    void should_reject_bad_arguments_with_clear_errors() {
        assertThatThrownBy(() -> encoder.encodeOpenings(TEXTS, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3, 256]");
        assertThatThrownBy(() -> encoder.encodeOpenings(TEXTS, 257)).isInstanceOf(IllegalArgumentException.class);
        List<String> withNull = new ArrayList<>(TEXTS);
        withNull.add(null);
        assertThatThrownBy(() -> encoder.encodeOpenings(withNull, TOKENS)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("texts[" + TEXTS.size() + "]");
        assertThat(encoder.encodeOpenings(List.of(), TOKENS)).isEmpty();
        assertThat(encoder.encodeOpenings(List.of(""), TOKENS)).hasSize(1);
    }
}
