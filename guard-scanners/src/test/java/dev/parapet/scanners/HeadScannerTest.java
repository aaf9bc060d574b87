package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.Guard;
import dev.parapet.core.ModelLoadException;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Stage;
import dev.parapet.core.Verdict;
import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.Pooling;
import dev.parapet.onnx.SharedTextEncoder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Head scanners on one shared real encoder: toxicity (binary) and a reward head (pairs). */
class HeadScannerTest {
    static final String TOXIC = "You are a disgusting worthless idiot and I hope you suffer.";
    static final String BENIGN = "Could you recommend a good book about the history of astronomy?";
    static final String ANSWER = "Sure: 'Cosmos' by Carl Sagan is a classic introduction.";

    static SharedTextEncoder encoder;
    static EmbeddingHead toxicity;
    static EmbeddingHead reward;

    @BeforeAll
    static void setUp() {
        encoder = TestHeads.encoder();
        toxicity = TestHeads.toxicity(encoder);
        reward = TestHeads.reward(encoder);
    }

    @AfterAll
    static void tearDown() {
        encoder.close();
    }

    @Test
    void should_flag_toxic_text_with_the_head_threshold_and_evidence() {
        try (HeadScanner scanner = HeadScanner.builder("toxicity", toxicity, encoder).build()) {
            ScanResult r = scanner.scan(ScanInput.prompt(TOXIC));
            assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
            assertThat(r.threshold()).isEqualTo(0.5);
            assertThat(r.label()).isEqualTo("toxic");
            assertThat(r.evidence()).singleElement().satisfies(e -> assertThat(e.excerpt(TOXIC)).isEqualTo(TOXIC));
            assertThat(scanner.scan(ScanInput.prompt(BENIGN)).decision()).isEqualTo(Decision.PASSED);
        }
    }

    /**
     * A head that reads the text's first 8 tokens beside each window: the window's mean pooling weighs
     * nothing and the opening's mean pooling carries the toxicity direction, so only the opening decides.
     */
    static EmbeddingHead openingOnly() {
        float[] w = toxicity.layers().get(0).weights();
        float[] both = new float[2 * w.length];
        System.arraycopy(w, 0, both, w.length, w.length);
        return EmbeddingHead.builder("opening-toxicity").encoder("all-minilm-l6-v2-q", "test", TestHeads.MAX_LENGTH)
                .poolings(List.of(Pooling.MEAN)).opening(8, List.of(Pooling.MEAN))
                .layer(new EmbeddingHead.Dense(both.length, 1, both, toxicity.layers().get(0).bias(), EmbeddingHead.Activation.NONE))
                .labels(List.of("non-toxic", "toxic")).threshold(0.5).build();
    }

    @Test
    void should_score_every_window_with_the_texts_opening_when_the_head_reads_one() {
        EmbeddingHead head = openingOnly();
        String startsToxic = TOXIC + " " + "The library opens at nine and closes at six on weekdays. ".repeat(40);
        String endsToxic = "The library opens at nine and closes at six on weekdays. ".repeat(40) + TOXIC;
        try (HeadScanner scanner = HeadScanner.builder("opening", head, encoder).build();
             HeadScanner sentences = HeadScanner.builder("opening", head, encoder).matchMode(MatchMode.SENTENCES).build()) {
            List<ScanResult> rs = scanner.scanAll(List.of(ScanInput.output(BENIGN, startsToxic), ScanInput.output(BENIGN, endsToxic),
                    ScanInput.output(BENIGN, "  "), ScanInput.output(BENIGN, TOXIC)));
            assertThat(rs.get(0).decision()).isEqualTo(Decision.FLAGGED);
            // the toxic sentence is past the first 8 tokens, and the windows themselves weigh nothing
            assertThat(rs.get(1).decision()).isEqualTo(Decision.PASSED);
            assertThat(rs.get(2).attributes()).containsEntry("blank", "true");
            // every window of a text gets the same opening: one score for all windows
            assertThat(Integer.parseInt(rs.get(0).attributes().get("windows"))).isGreaterThan(1);
            double expected = head.probability(encoder.encoder().encodeWindows(List.of(TOXIC)).get(0).windows().get(0).embedding(),
                    encoder.encoder().encodeOpenings(List.of(TOXIC), 8).get(0));
            assertThat(rs.get(3).score()).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-9));
            // sentence mode: the opening is the whole text's, whichever sentence is scored
            assertThat(sentences.scan(ScanInput.output(BENIGN, startsToxic)).decision()).isEqualTo(Decision.FLAGGED);
            assertThat(sentences.scan(ScanInput.output(BENIGN, endsToxic)).decision()).isEqualTo(Decision.PASSED);
        }
    }

    @Test
    void should_score_a_head_on_an_intermediate_layer_from_the_encoders_one_run_and_refuse_an_encoder_without_it() {
        String layer3 = "/encoder/layer.3/output/LayerNorm/Add_1_output_0";
        try (SharedTextEncoder tapped = SharedTextEncoder.of(dev.parapet.onnx.TextEncoder.builder(dev.parapet.demo.DemoModels.minilmEncoder())
                .maxLength(TestHeads.WINDOW).options(dev.parapet.onnx.RuntimeOptions.builder().maxBatchSize(1).build())
                .taps(List.of(layer3)).build())) {
            // a toxicity direction fitted on layer 3's mean pooling; the last layer's mean weighs nothing
            List<String> texts = new java.util.ArrayList<>(dev.parapet.export.SeedCorpus.benign());
            texts.addAll(dev.parapet.export.SeedCorpus.toxic());
            int[] y = new int[texts.size()];
            java.util.Arrays.fill(y, dev.parapet.export.SeedCorpus.benign().size(), y.length, 1);
            float[][] x = tapped.encoder().encodeAll(texts).stream().map(e -> e.tap(layer3).mean()).toArray(float[][]::new);
            dev.parapet.export.LinearHead fit = dev.parapet.export.LinearHeadFitter.builder().balanced(true).build()
                    .fit(x, y, List.of("non-toxic", "toxic"));
            int dim = x[0].length;
            float[] w = new float[2 * dim];
            for (int d = 0; d < dim; d++) {
                w[dim + d] = fit.weights()[1][d] - fit.weights()[0][d];
            }
            EmbeddingHead head = EmbeddingHead.builder("layer3-toxicity").encoder("all-minilm-l6-v2-q", "test", TestHeads.MAX_LENGTH)
                    .poolings(List.of(Pooling.MEAN)).taps(List.of(layer3))
                    .layer(new EmbeddingHead.Dense(2 * dim, 1, w, new float[]{fit.bias()[1] - fit.bias()[0]}, EmbeddingHead.Activation.NONE))
                    .labels(List.of("non-toxic", "toxic")).threshold(0.5).build();
            try (HeadScanner scanner = HeadScanner.builder("layer3", head, tapped).build()) {
                assertThat(scanner.scan(ScanInput.prompt(TOXIC)).decision()).isEqualTo(Decision.FLAGGED);
                assertThat(scanner.scan(ScanInput.prompt(BENIGN)).decision()).isEqualTo(Decision.PASSED);
                double expected = head.probability(tapped.encoder().encodeWindows(List.of(TOXIC)).get(0).windows().get(0).embedding());
                assertThat(scanner.scan(ScanInput.prompt(TOXIC)).score()).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-9));
            }
            assertThatThrownBy(() -> HeadScanner.builder("layer3", head, encoder).build()).isInstanceOf(ModelLoadException.class)
                    .hasMessageContaining(layer3).hasMessageContaining("TextEncoder.Builder.taps");
        }
    }

    @Test
    void should_score_a_head_that_reads_a_lexicon_from_each_windows_token_ids_and_refuse_one_that_does_not_fit() {
        // the pieces of one word, special tokens left out, are the lexicon; the embedding weighs nothing
        int[] word = encoder.encoder().encodeWindows(List.of("idiot")).get(0).pooled().pieces();
        int[] lexicon = java.util.Arrays.copyOfRange(word, 1, word.length - 1);
        int dim = encoder.encoder().dimension();
        float[] w = new float[dim + lexicon.length];
        java.util.Arrays.fill(w, dim, w.length, 10f);
        EmbeddingHead head = EmbeddingHead.builder("lexicon").encoder("all-minilm-l6-v2-q", "test", TestHeads.MAX_LENGTH)
                .poolings(List.of(Pooling.MEAN)).lexicon(lexicon)
                .layer(new EmbeddingHead.Dense(dim + lexicon.length, 1, w, new float[]{-3f}, EmbeddingHead.Activation.NONE))
                .labels(List.of("non-toxic", "toxic")).threshold(0.5).build();
        try (HeadScanner scanner = HeadScanner.builder("lexicon", head, encoder).build()) {
            String text = "what an idiot";
            assertThat(scanner.scan(ScanInput.prompt(text)).decision()).isEqualTo(Decision.FLAGGED);
            assertThat(scanner.scan(ScanInput.prompt(BENIGN)).decision()).isEqualTo(Decision.PASSED);
            double expected = head.probability(encoder.encoder().encodeWindows(List.of(text)).get(0).windows().get(0).embedding());
            assertThat(scanner.scan(ScanInput.prompt(text)).score()).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-9));
        }
        EmbeddingHead wrong = EmbeddingHead.builder("lexicon").encoder("all-minilm-l6-v2-q", "test", TestHeads.MAX_LENGTH)
                .poolings(List.of(Pooling.MEAN)).lexicon(lexicon)
                .layer(new EmbeddingHead.Dense(dim, 1, new float[dim], new float[1], EmbeddingHead.Activation.NONE))
                .labels(List.of("a", "b")).build();
        assertThatThrownBy(() -> HeadScanner.builder("lexicon", wrong, encoder).build()).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("a lexicon of " + lexicon.length + " word pieces");
    }

    @Test
    void should_refuse_an_opening_head_whose_features_do_not_fit_the_encoder() {
        EmbeddingHead wrong = EmbeddingHead.builder("opening").encoder("all-minilm-l6-v2-q", "test", TestHeads.MAX_LENGTH)
                .poolings(List.of(Pooling.MEAN)).opening(8, List.of(Pooling.MEAN, Pooling.CLS))
                .layer(new EmbeddingHead.Dense(768, 1, new float[768], new float[1], EmbeddingHead.Activation.NONE))
                .labels(List.of("a", "b")).build();
        assertThatThrownBy(() -> HeadScanner.builder("opening", wrong, encoder).build()).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("2 opening poolings");
    }

    @Test
    void should_find_the_toxic_sentence_of_a_long_text_in_sentence_mode() {
        String filler = "The library opens at nine and closes at six on weekdays. ".repeat(300);
        String text = filler + TOXIC;
        try (HeadScanner sentences = HeadScanner.builder("toxicity", toxicity, encoder).matchMode(MatchMode.SENTENCES).build()) {
            ScanResult r = sentences.scan(ScanInput.output(BENIGN, text));
            assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
            assertThat(r.attributes()).containsEntry("match", "sentences").containsEntry("windows", "301");
            assertThat(r.evidence()).singleElement().satisfies(e -> assertThat(e.excerpt(text)).isEqualTo(TOXIC));
            assertThat(sentences.scan(ScanInput.output(BENIGN, filler)).decision()).isEqualTo(Decision.PASSED);
        }
    }

    @Test
    void should_score_every_window_of_a_long_text() {
        String filler = "The library opens at nine and closes at six on weekdays. ".repeat(100);
        try (HeadScanner windows = HeadScanner.builder("toxicity", toxicity, encoder).build()) {
            ScanResult r = windows.scan(ScanInput.output(BENIGN, filler + TOXIC));
            assertThat(Integer.parseInt(r.attributes().get("windows"))).isGreaterThan(10);
            assertThat(r.attributes()).containsEntry("match", "windows");
            // the toxic sentence is in the last window, diluted by benign tokens around it; with
            // the seed head it does not always fire, but it must be the best-scoring window
            String all = filler + TOXIC;
            assertThat(r.evidence()).isNotEmpty();
            assertThat(r.evidence().get(r.evidence().size() - 1).end()).isEqualTo(all.length());
        }
    }

    @Test
    void should_rank_candidates_and_flag_dispreferred_outputs() {
        try (PreferenceScanner preference = PreferenceScanner.builder("preference", reward, encoder).minPreference(0.3).build()) {
            List<PreferenceScanner.Ranked> ranked = preference.rank(BENIGN, List.of(TOXIC, ANSWER));
            assertThat(ranked).extracting(PreferenceScanner.Ranked::index).containsExactly(1, 0);
            assertThat(ranked.get(0).preference()).isGreaterThan(ranked.get(1).preference());
            ScanResult bad = preference.scan(ScanInput.output(BENIGN, TOXIC));
            ScanResult good = preference.scan(ScanInput.output(BENIGN, ANSWER));
            assertThat(bad.score()).isEqualTo(1 - Double.parseDouble(bad.attributes().get("preference")), org.assertj.core.api.Assertions.within(1e-6));
            assertThat(bad.threshold()).isEqualTo(0.7, org.assertj.core.api.Assertions.within(1e-12));
            assertThat(bad.label()).isEqualTo(PreferenceScanner.LABEL);
            assertThat(good.score()).isLessThan(bad.score());
            assertThat(preference.preference(BENIGN, ANSWER)).isEqualTo(ranked.get(0).preference());
            assertThat(preference.scan(ScanInput.prompt(BENIGN)).decision()).isEqualTo(Decision.ERROR);
        }
    }

    @Test
    void should_leave_a_blank_response_unjudged_rank_it_last_and_never_encode_it() {
        try (SharedTextEncoder counting = TestHeads.encoder();
             PreferenceScanner preference = PreferenceScanner.builder("preference", reward, counting).minPreference(0.99).build()) {
            String prompt = "A prompt nobody sent before " + System.nanoTime();
            long before = counting.textsEncoded();
            for (String blank : List.of("", "  \n\t ")) {
                ScanResult r = preference.scan(ScanInput.output(prompt, blank));
                // not judged at all, whatever the minimum
                assertThat(r.decision()).isEqualTo(Decision.PASSED);
                assertThat(r.score()).isNaN();
                assertThat(r.attributes()).containsEntry("blank", "true").doesNotContainKeys("preference", "reward");
                assertThat(preference.preference(prompt, blank)).isZero();
            }
            assertThat(counting.textsEncoded() - before).as("nothing encoded for blank responses").isZero();
            // batched with a real answer: the answer is scored as it is alone
            List<ScanResult> both = preference.scanAll(List.of(ScanInput.output(prompt, " "), ScanInput.output(prompt, ANSWER)));
            assertThat(both.get(0).attributes()).containsEntry("blank", "true");
            assertThat(both.get(1).score()).isNotNaN();
            assertThat(both.get(1).score()).isEqualTo(preference.scan(ScanInput.output(prompt, ANSWER)).score());
            List<PreferenceScanner.Ranked> ranked = preference.rank(prompt, List.of("", TOXIC, " ", ANSWER));
            assertThat(ranked).extracting(PreferenceScanner.Ranked::index).endsWith(0, 2);
            assertThat(ranked.get(0).preference()).isPositive().isEqualTo(preference.preference(prompt, ranked.get(0).response()));
            assertThat(preference.rank(prompt, List.of("", "\t"))).extracting(PreferenceScanner.Ranked::preference).containsExactly(0.0, 0.0);
        }
    }

    @Test
    void should_leave_a_response_to_a_blank_prompt_unjudged_by_scan() {
        try (SharedTextEncoder counting = TestHeads.encoder();
             PreferenceScanner preference = PreferenceScanner.builder("preference", reward, counting).minPreference(0.99).build()) {
            long before = counting.textsEncoded();
            for (String blank : List.of("", " \n ")) {
                ScanResult r = preference.scan(ScanInput.output(blank, ANSWER));
                assertThat(r.decision()).isEqualTo(Decision.PASSED);
                assertThat(r.score()).isNaN();
                assertThat(r.attributes()).containsEntry("blank_prompt", "true").doesNotContainKeys("preference", "reward", "blank");
            }
            assertThat(counting.textsEncoded() - before).as("nothing encoded for an unjudged pair").isZero();
            // with a prompt the same answer is judged; the explicit API still computes for a blank prompt
            assertThat(preference.scan(ScanInput.output(BENIGN, ANSWER)).score()).isNotNaN();
            assertThat(preference.preference("", ANSWER)).isBetween(0.0, 1.0);
        }
    }

    @Test
    void should_encode_each_text_once_per_guard_call_across_heads() {
        SharedTextEncoder counting = TestHeads.encoder();
        try (Guard guard = Guard.builder()
                .inputScanner(HeadScanner.builder("toxicity", toxicity, counting).build())
                .outputScanner(HeadScanner.builder("toxicity", toxicity, counting).build())
                .outputScanner(PreferenceScanner.builder("preference", reward, counting).build())
                .build()) {
            counting.close(); // the scanners hold their own references now
            String prompt = "A prompt nobody sent before " + System.nanoTime();
            long before = counting.textsEncoded();
            Verdict v = guard.scan(prompt, ANSWER + " " + prompt);
            assertThat(counting.textsEncoded() - before).as("texts sent to the encoder for one prompt and one output").isEqualTo(2);
            assertThat(v.results()).hasSize(3);
            assertThat(v.results()).extracting(ScanResult::decision).doesNotContain(Decision.ERROR);
            // same texts again: served from the memo, identical scores
            Verdict again = guard.scan(prompt, ANSWER + " " + prompt);
            assertThat(counting.textsEncoded() - before).isEqualTo(2);
            for (int i = 0; i < 3; i++) {
                assertThat(again.results().get(i).score()).isEqualTo(v.results().get(i).score());
            }
        }
        assertThat(counting.isClosed()).isTrue();
    }

    @Test
    void should_reject_mismatched_heads_and_encoders() {
        assertThatThrownBy(() -> HeadScanner.builder("x", reward, encoder).build()).hasMessageContaining("BINARY head on TEXT");
        assertThatThrownBy(() -> PreferenceScanner.builder("x", toxicity, encoder).build()).hasMessageContaining("REWARD head on PAIR");
        assertThatThrownBy(() -> HeadScanner.builder("x", toxicity, encoder).threshold(0)).hasMessageContaining("threshold");
        try (SharedTextEncoder wide = SharedTextEncoder.of(dev.parapet.onnx.TextEncoder.builder(dev.parapet.demo.DemoModels.minilmEncoder())
                .maxLength(256).build())) {
            assertThatThrownBy(() -> HeadScanner.builder("x", toxicity, wide).build()).hasMessageContaining("at most 128 tokens");
        }
    }

    @Test
    void should_reject_a_head_whose_input_size_does_not_fit_the_encoder_at_build() {
        int dim = encoder.encoder().dimension();
        // reads two poolings, so it needs 2 x dim features; its layer takes dim
        EmbeddingHead twoPoolings = EmbeddingHead.builder("two-poolings").encoder("all-minilm-l6-v2-q", "test", TestHeads.MAX_LENGTH)
                .poolings(List.of(Pooling.MEAN, Pooling.CLS))
                .layer(new EmbeddingHead.Dense(dim, 1, new float[dim], new float[1], EmbeddingHead.Activation.NONE))
                .labels(List.of("ok", "bad")).build();
        assertThatThrownBy(() -> HeadScanner.builder("x", twoPoolings, encoder).build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'two-poolings'")
                .hasMessageContaining("takes " + dim + " features")
                .hasMessageContaining("gives " + (2 * dim));
        // a pair head reads dim x poolings x pair features: three features need 3 x dim, the layer takes 2 x dim
        float[] w = new float[2 * dim];
        EmbeddingHead threeFeatures = EmbeddingHead.builder("three-features").task(EmbeddingHead.Task.REWARD).input(EmbeddingHead.Input.PAIR)
                .encoder("all-minilm-l6-v2-q", "test", TestHeads.MAX_LENGTH).poolings(List.of(Pooling.MEAN))
                .pairFeatures(List.of(EmbeddingHead.PairFeature.PROMPT, EmbeddingHead.PairFeature.RESPONSE, EmbeddingHead.PairFeature.PRODUCT))
                .layer(new EmbeddingHead.Dense(w.length, 1, w, new float[1], EmbeddingHead.Activation.NONE))
                .labels(List.of("rejected", "chosen")).build();
        assertThatThrownBy(() -> PreferenceScanner.builder("x", threeFeatures, encoder).build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'three-features'")
                .hasMessageContaining("takes " + (2 * dim) + " features")
                .hasMessageContaining("gives " + (3 * dim));
    }

    @Test
    void should_fail_after_close_and_report_blank_texts_without_scoring() {
        HeadScanner scanner = HeadScanner.builder("toxicity", toxicity, encoder).build();
        ScanResult blank = scanner.scan(ScanInput.prompt("   "));
        assertThat(blank.attributes()).containsEntry("blank", "true");
        assertThat(blank.stage()).isEqualTo(Stage.PROMPT);
        scanner.close();
        scanner.close();
        assertThatThrownBy(() -> scanner.scan(ScanInput.prompt(BENIGN))).isInstanceOf(IllegalStateException.class);
        assertThat(encoder.isClosed()).isFalse();
    }
}
