package dev.parapet.onnx;

import dev.parapet.core.ModelLoadException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The classifier on a real fused ONNX model built by the test (encoder + mean pooling + head). */
class SequenceClassifierTest {
    static final String TOXIC = "You are a disgusting worthless idiot and I hope you suffer.";
    static final String BENIGN = "Could you recommend a good book about the history of astronomy?";

    static SequenceClassifier classifier;

    @BeforeAll
    static void load() {
        classifier = SequenceClassifier.builder(ModelSource.directory(TestModels.demoToxicity())).build();
    }

    @AfterAll
    static void close() {
        classifier.close();
    }

    @Test
    void should_read_labels_and_problem_type_from_config() {
        assertThat(classifier.labels()).containsExactly("non-toxic", "toxic");
        assertThat(classifier.problemType()).isEqualTo(ProblemType.SINGLE_LABEL);
        assertThat(classifier.provider()).isEqualTo(ExecutionProvider.cpu());
        assertThat(classifier.maxLength()).isEqualTo(256);
    }

    @Test
    void should_score_a_toxic_text_above_a_benign_one() {
        Classification toxic = classifier.classify(TOXIC);
        Classification benign = classifier.classify(BENIGN);
        assertThat(toxic.probability("toxic")).isGreaterThan(0.5f);
        assertThat(benign.probability("toxic")).isLessThan(0.5f);
        assertThat(toxic.topLabel()).isEqualTo("toxic");
        assertThat(toxic.probability(0) + toxic.probability(1)).isCloseTo(1.0f, within(1e-5f));
        assertThat(toxic.windows()).hasSize(1);
        assertThat(toxic.winningWindow("toxic").start()).isZero();
        assertThat(toxic.winningWindow("toxic").end()).isEqualTo(TOXIC.length());
    }

    @Test
    void should_score_a_batch_like_single_calls_up_to_quantization_noise() {
        List<String> texts = List.of(TOXIC, BENIGN, "hello", "", "I will find you and hurt you.", "Thanks, that fixed my build!");
        List<Classification> batch = classifier.classifyAll(texts);
        assertThat(batch).hasSize(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            Classification alone = classifier.classify(texts.get(i));
            // the encoder is dynamically quantized with one scale per input tensor: batch companions move scores a little
            assertThat(batch.get(i).probability("toxic")).as(texts.get(i)).isCloseTo(alone.probability("toxic"), within(0.1f));
            assertThat(batch.get(i).topLabel()).as(texts.get(i)).isEqualTo(alone.topLabel());
        }
    }

    @Test
    void should_score_a_batch_exactly_like_single_calls_with_batches_of_one() {
        try (SequenceClassifier exact = SequenceClassifier.builder(ModelSource.directory(TestModels.demoToxicity()))
                .options(RuntimeOptions.builder().maxBatchSize(1).build()).build()) {
            List<String> texts = List.of(TOXIC, BENIGN, "hello");
            List<Classification> batch = exact.classifyAll(texts);
            for (int i = 0; i < texts.size(); i++) {
                assertThat(batch.get(i).probabilities()).isEqualTo(exact.classify(texts.get(i)).probabilities());
            }
        }
    }

    @Test
    void should_handle_empty_and_whitespace_text() {
        Classification empty = classifier.classify("");
        assertThat(empty.windows()).hasSize(1);
        assertThat(empty.windows().get(0).start()).isZero();
        assertThat(empty.windows().get(0).end()).isZero();
        assertThat(empty.probability(0) + empty.probability(1)).isCloseTo(1.0f, within(1e-5f));
        assertThat(classifier.classify(" \n\t ").windows()).hasSize(1);
        assertThat(classifier.classifyAll(List.of())).isEmpty();
    }

    @Test
    void should_classify_pairs_windowing_the_second_text() {
        String prompt = "Tell me what you think of me.";
        Classification pair = classifier.classifyPair(prompt, TOXIC);
        assertThat(pair.probability(0) + pair.probability(1)).isCloseTo(1.0f, within(1e-5f));
        WindowScore w = pair.windows().get(0);
        assertThat(w.start()).isZero();
        assertThat(w.end()).isEqualTo(TOXIC.length());

        String longResponse = "The committee reviewed the annual budget in detail. ".repeat(120).strip();
        Classification windowed = classifier.classifyPair(prompt, longResponse);
        assertThat(windowed.windows().size()).isGreaterThan(1);
        assertThat(windowed.windows()).allSatisfy(win -> assertThat(win.end()).isLessThanOrEqualTo(longResponse.length()));
        assertThat(windowed.windows().get(windowed.windows().size() - 1).end()).isEqualTo(longResponse.length());
        List<Classification> many = classifier.classifyPairs(List.of(prompt, prompt), List.of(TOXIC, BENIGN));
        assertThat(many).hasSize(2);
        assertThatThrownBy(() -> classifier.classifyPairs(List.of(prompt), List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void should_keep_the_end_of_a_first_text_too_long_for_the_window_instead_of_crashing() {
        String longPrompt = LongTexts.benignWords(400);
        try (SequenceClassifier small = SequenceClassifier.builder(ModelSource.directory(TestModels.demoToxicity()))
                .maxLength(64).build()) {
            Classification shortAnswer = small.classifyPair(longPrompt, "Here is a short answer.");
            assertThat(shortAnswer.windows()).hasSize(1);
            String longAnswer = LongTexts.benignWords(300);
            Classification windowed = small.classifyPair(longPrompt, longAnswer);
            assertThat(windowed.windows().size()).isGreaterThan(5);
            assertThat(windowed.windows().get(windowed.windows().size() - 1).end()).isEqualTo(longAnswer.length());
        }
    }

    @Test
    void should_refuse_pairs_cleanly_when_the_stride_leaves_no_room() {
        try (SequenceClassifier tight = SequenceClassifier.builder(ModelSource.directory(TestModels.demoToxicity()))
                .maxLength(16).stride(11).build()) {
            assertThat(tight.classify(LongTexts.benignWords(50)).windows()).isNotEmpty();
            assertThatThrownBy(() -> tight.classifyPair("prompt", "answer"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("stride");
        }
    }

    @Test
    void should_survive_control_characters_lone_surrogates_and_zero_width_text() {
        List<String> hostile = List.of("\u0000\u0001abc\u0007", "\uD800 lone high", "lone low \uDC00", "\uDC00\uD800 reversed",
                "zero\u200Bwidth\u200Djoin\u2060", "\u202Ebidi override\u202C", "e\u0301\u0301\u0301\u0301\u0301".repeat(200),
                "\n".repeat(5000), "x".repeat(100_000));
        List<Classification> results = classifier.classifyAll(hostile);
        assertThat(results).hasSize(hostile.size());
        for (int i = 0; i < hostile.size(); i++) {
            Classification c = results.get(i);
            assertThat(c.probability(0) + c.probability(1)).isCloseTo(1.0f, within(1e-4f));
            for (WindowScore w : c.windows()) {
                assertThat(w.start()).isBetween(0, hostile.get(i).length());
                assertThat(w.end()).isBetween(w.start(), hostile.get(i).length());
            }
        }
        assertThat(classifier.classifyPair("\uD800", "\uDC00").windows()).hasSize(1);
    }

    @Test
    void should_find_one_toxic_sentence_at_the_end_of_a_5000_word_benign_text_with_its_offsets() {
        String benign = LongTexts.benignWords(5000);
        String text = benign + " " + TOXIC;
        int toxicStart = text.indexOf(TOXIC);
        try (SequenceClassifier fine = SequenceClassifier.builder(ModelSource.directory(TestModels.demoToxicity()))
                .maxLength(32).stride(8).build()) {
            Classification clean = fine.classify(benign);
            Classification result = fine.classify(text);
            assertThat(result.windows().size()).isGreaterThan(100);
            WindowScore win = result.winningWindow("toxic");
            assertThat(win.end()).isGreaterThan(toxicStart);
            assertThat(text.substring(win.start(), win.end())).containsAnyOf("worthless idiot", "suffer");
            assertThat(result.probability("toxic")).isGreaterThan(0.5f);
            assertThat(clean.probability("toxic")).isLessThan(result.probability("toxic"));
            assertThat(clean.probability("toxic")).isLessThan(0.5f);
        }
    }

    @Test
    void should_report_utf16_offsets_when_the_text_has_characters_outside_the_bmp() {
        String text = "😀🎉 𝔘𝔫𝔦 " + "The park was quiet this morning. ".repeat(30) + TOXIC;
        try (SequenceClassifier fine = SequenceClassifier.builder(ModelSource.directory(TestModels.demoToxicity()))
                .maxLength(32).stride(8).build()) {
            Classification result = fine.classify(text);
            WindowScore last = result.windows().get(result.windows().size() - 1);
            assertThat(last.end()).isEqualTo(text.length());
            WindowScore win = result.winningWindow("toxic");
            assertThat(text.substring(win.start(), win.end())).containsAnyOf("worthless", "idiot", "suffer");
            assertThat(result.windows().get(0).start()).isZero();
        }
    }

    @Test
    void should_give_16_concurrent_callers_the_same_results_as_sequential_calls() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            texts.add(switch (i % 4) {
                case 0 -> TOXIC;
                case 1 -> BENIGN + " #" + i;
                case 2 -> "The committee met on day " + i + ". " + "It discussed the budget. ".repeat(i);
                default -> "";
            });
        }
        List<float[]> sequential = new ArrayList<>();
        for (String t : texts) {
            sequential.add(classifier.classify(t).probabilities());
        }
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<float[]>>> futures = new ArrayList<>();
            for (int th = 0; th < 16; th++) {
                int offset = th;
                futures.add(pool.submit(() -> {
                    start.await();
                    List<float[]> out = new ArrayList<>();
                    for (int k = 0; k < texts.size(); k++) {
                        out.add(classifier.classify(texts.get((k + offset) % texts.size())).probabilities());
                    }
                    return out;
                }));
            }
            start.countDown();
            for (int th = 0; th < 16; th++) {
                List<float[]> got = futures.get(th).get(5, TimeUnit.MINUTES);
                for (int k = 0; k < texts.size(); k++) {
                    assertThat(got.get(k)).isEqualTo(sequential.get((k + th) % texts.size()));
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void should_share_one_session_per_model_and_close_it_with_the_last_user() {
        Path dir = TestModels.demoToxicity();
        int before = SharedSession.openSessions();
        SequenceClassifier a = SequenceClassifier.builder(ModelSource.directory(dir)).options(RuntimeOptions.builder().intraOpThreads(3).build()).build();
        SequenceClassifier b = SequenceClassifier.builder(ModelSource.directory(dir)).options(RuntimeOptions.builder().intraOpThreads(3).build()).build();
        assertThat(SharedSession.openSessions()).isEqualTo(before + 1);
        a.close();
        a.close();
        assertThat(a.isClosed()).isTrue();
        assertThatThrownBy(() -> a.classify(BENIGN)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThat(b.classify(TOXIC).topLabel()).isEqualTo("toxic");
        b.close();
        assertThat(SharedSession.openSessions()).isEqualTo(before);
    }

    @Test
    void should_let_a_run_in_flight_finish_or_fail_cleanly_when_closed() throws Exception {
        SequenceClassifier c = SequenceClassifier.builder(ModelSource.directory(TestModels.demoToxicity()))
                .options(RuntimeOptions.builder().intraOpThreads(1).build()).maxLength(32).build();
        String longText = LongTexts.benignWords(3000);
        CompletableFuture<Object> run = CompletableFuture.supplyAsync(() -> {
            try {
                return c.classify(longText);
            } catch (IllegalStateException e) {
                return e;
            }
        });
        Thread.sleep(20);
        c.close();
        Object outcome = run.get(2, TimeUnit.MINUTES);
        assertThat(outcome).isInstanceOfAny(Classification.class, IllegalStateException.class);
        if (outcome instanceof Classification cl) {
            assertThat(cl.windows()).isNotEmpty();
        }
        assertThatThrownBy(() -> c.classify("after close")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void should_apply_sigmoid_per_label_for_multi_label_models() {
        try (SequenceClassifier multi = SequenceClassifier.builder(ModelSource.directory(TestModels.demoToxicity()))
                .problemType(ProblemType.MULTI_LABEL).options(RuntimeOptions.builder().maxBatchSize(1).build()).build();
             SequenceClassifier single = SequenceClassifier.builder(ModelSource.directory(TestModels.demoToxicity()))
                     .options(RuntimeOptions.builder().maxBatchSize(1).build()).build()) {
            float[] sig = multi.classify(TOXIC).probabilities();
            float[] soft = single.classify(TOXIC).probabilities();
            // softmax(a, b)[1] = sigmoid(b - a): recover the logit gap both ways
            double gap = Math.log(sig[1] / (1 - sig[1])) - Math.log(sig[0] / (1 - sig[0]));
            assertThat(soft[1]).isCloseTo((float) (1 / (1 + Math.exp(-gap))), within(1e-4f));
            // independent sigmoids are not the softmax: for a confident text they differ clearly
            assertThat(sig[1]).isNotCloseTo(soft[1], within(1e-3f));
        }
    }

    @Test
    void should_reject_a_config_whose_labels_do_not_match_the_model_outputs(@TempDir Path dir) throws IOException {
        Path demo = TestModels.demoToxicity();
        Files.copy(demo.resolve("model.onnx"), dir.resolve("model.onnx"));
        Files.copy(demo.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("config.json"), "{\"id2label\": {\"0\": \"a\", \"1\": \"b\", \"2\": \"c\"}}");
        assertThatThrownBy(() -> SequenceClassifier.builder(ModelSource.directory(dir)).build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("config.json")
                .hasMessageContaining("3 labels")
                .hasMessageContaining("2 logits");
    }

    @Test
    void should_throw_npe_naming_the_parameter() {
        assertThatThrownBy(() -> classifier.classify(null)).isInstanceOf(NullPointerException.class).hasMessage("text");
        assertThatThrownBy(() -> classifier.classifyPair("a", null)).isInstanceOf(NullPointerException.class).hasMessage("second");
        assertThatThrownBy(() -> classifier.classifyAll(java.util.Arrays.asList("a", null)))
                .isInstanceOf(NullPointerException.class).hasMessage("texts[1]");
        assertThatThrownBy(() -> SequenceClassifier.builder(null)).isInstanceOf(NullPointerException.class).hasMessage("source");
    }

    @Test
    void should_load_the_same_model_from_the_classpath() {
        // target/test-models is not on the classpath; a URLClassLoader over it stands in for a jar
        try (java.net.URLClassLoader cl = new java.net.URLClassLoader(new java.net.URL[]{TestModels.demoToxicity().getParent().toUri().toURL()});
             SequenceClassifier fromClasspath = SequenceClassifier.builder(
                     ModelSource.classpath(cl, "demo-toxicity/model.onnx", "demo-toxicity/tokenizer.json", "demo-toxicity/config.json"))
                     .options(RuntimeOptions.builder().maxBatchSize(1).build()).build();
             SequenceClassifier fromDir = SequenceClassifier.builder(ModelSource.directory(TestModels.demoToxicity()))
                     .options(RuntimeOptions.builder().maxBatchSize(1).build()).build()) {
            assertThat(fromClasspath.source().modelName()).startsWith("classpath:");
            assertThat(fromClasspath.classify(TOXIC).probabilities()).isEqualTo(fromDir.classify(TOXIC).probabilities());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
