package dev.parapet.models;

import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.ScanTimeoutException;
import dev.parapet.core.Stage;
import dev.parapet.core.Verdict;
import dev.parapet.scanners.HeadScanner;
import dev.parapet.scanners.PreferenceScanner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The shipped default models, from the classpath only (no ../shared needed). */
class DefaultModelsTest {
    /**
     * "I hope you die, you worthless idiot" with Cyrillic о and е, zero-width spaces inside words
     * and l33t digits: a reader sees the insult, the model alone does not.
     */
    static final String OBFUSCATED = "I h\u043Ep\u0435 y\u043Eu d\u200B1\u0435, y\u043Eu w\u043Er\u200Bthl\u0435ss 1\u200Bd1\u043Et";
    static final String QUESTION = "Could you recommend a good book about the history of astronomy?";

    static DefaultModels models;
    static HeadScanner toxicity;
    static HeadScanner refusal;
    static PreferenceScanner preference;

    @BeforeAll
    static void load() {
        models = DefaultModels.load();
        toxicity = models.toxicityScanner().build();
        refusal = models.refusalScanner().build();
        preference = models.preferenceScanner().build();
    }

    @AfterAll
    static void close() {
        toxicity.close();
        refusal.close();
        preference.close();
        models.close();
        assertThat(models.encoder().isClosed()).isTrue();
    }

    @Test
    void should_flag_a_toxic_prompt_and_pass_a_polite_one() {
        ScanResult toxic = toxicity.scan(ScanInput.prompt("I hope you die, you worthless idiot"));
        ScanResult polite = toxicity.scan(ScanInput.prompt("Could you recommend a good book about birds?"));
        assertThat(toxic.decision()).isEqualTo(Decision.FLAGGED);
        assertThat(toxic.label()).isEqualTo("toxic");
        assertThat(polite.decision()).isEqualTo(Decision.PASSED);
        assertThat(polite.score()).isLessThan(toxic.score());
    }

    @Test
    void should_flag_a_refusal_and_pass_a_factual_answer() {
        ScanResult refused = refusal.scan(ScanInput.output("Can you help me with my homework?", "I'm sorry, but I can't help with that request."));
        ScanResult answered = refusal.scan(ScanInput.output("What is the capital of France?", "The capital of France is Paris."));
        assertThat(refused.decision()).isEqualTo(Decision.FLAGGED);
        assertThat(refused.label()).isEqualTo("refusal");
        assertThat(answered.decision()).isEqualTo(Decision.PASSED);
        // the shipped head reads each response's first 8 tokens beside its windows (docs/models.md, third round)
        assertThat(refusal.head().openingTokens()).isEqualTo(8);
        String longRefusal = "I'm sorry, but I can't help with that request. " + "Here is some general safety information instead. ".repeat(60);
        ScanResult r = refusal.scan(ScanInput.output("How do I pick a lock?", longRefusal));
        assertThat(Integer.parseInt(r.attributes().get("windows"))).isGreaterThan(1);
        assertThat(r.decision()).as("a refusal followed by pages of text is still a refusal").isEqualTo(Decision.FLAGGED);
    }

    @Test
    void should_prefer_a_helpful_answer_to_a_non_answer_and_a_refusal() {
        String prompt = "What is the boiling point of water at sea level?";
        String helpful = "Water boils at 100 degrees Celsius (212 degrees Fahrenheit) at sea level.";
        List<PreferenceScanner.Ranked> ranked = preference.rank(prompt,
                List.of("I don't know.", helpful, "I'm sorry, I can't help with that."));
        assertThat(ranked.get(0).response()).isEqualTo(helpful);
        assertThat(preference.preference(prompt, helpful)).isGreaterThan(preference.preference(prompt, "I don't know."));
    }

    @Test
    void should_build_a_guard_with_all_three_in_one_line_and_encode_each_text_once() {
        long before = models.encoder().textsEncoded();
        try (Guard guard = DefaultModels.guard()) {
            Verdict ok = guard.scan("What is the capital of France?", "The capital of France is Paris.");
            assertThat(ok.results()).extracting(ScanResult::scanner).containsExactly("toxicity", "toxicity", "refusal", "preference");
            assertThat(ok.results()).extracting(ScanResult::stage).containsExactly(Stage.PROMPT, Stage.OUTPUT, Stage.OUTPUT, Stage.OUTPUT);
            assertThat(ok.allowed()).as(ok.toString()).isTrue();
            Verdict refused = guard.scan("What is the capital of France?", "I'm sorry, but I can't help with that request.");
            assertThat(refused.allowed()).isFalse();
            assertThat(refused.blockingResults()).extracting(ScanResult::scanner).contains("refusal");
        }
        // DefaultModels.guard() loads its own encoder; this instance's counter is untouched
        assertThat(models.encoder().textsEncoded()).isEqualTo(before);
    }

    @Test
    void should_catch_an_obfuscated_insult_that_the_plain_toxicity_scanner_misses() {
        assertThat(toxicity.scan(ScanInput.prompt(OBFUSCATED)).decision()).as("the model alone").isEqualTo(Decision.PASSED);
        try (Guard guard = DefaultModels.guard()) {
            Verdict prompt = guard.scanPrompt(OBFUSCATED);
            assertThat(prompt.blocked()).isTrue();
            assertThat(prompt.sanitizedPrompt()).as("the caller's text is left alone").isEqualTo(OBFUSCATED);
            assertEvidenceOnTheOriginal(prompt.result("toxicity", Stage.PROMPT).orElseThrow());

            Verdict output = guard.scanOutput("How was your day?", OBFUSCATED);
            assertThat(output.blocked()).isTrue();
            assertThat(output.sanitizedOutput()).isEqualTo(OBFUSCATED);
            assertEvidenceOnTheOriginal(output.result("toxicity", Stage.OUTPUT).orElseThrow());

            Verdict question = guard.scanPrompt(QUESTION);
            assertThat(question.allowed()).as(question.toString()).isTrue();
            assertThat(question.result("toxicity", Stage.PROMPT).orElseThrow().attributes()).doesNotContainKey("normalized");
            assertThat(guard.scan(QUESTION, "Try 'Cosmos' by Carl Sagan, a classic introduction to the history of astronomy.").allowed()).isTrue();
        }
    }

    private static void assertEvidenceOnTheOriginal(ScanResult r) {
        assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
        assertThat(r.attributes()).containsEntry("normalized", "true");
        assertThat(r.evidence()).isNotEmpty().allSatisfy(e -> assertThat(e.end()).isBetween(e.start(), OBFUSCATED.length()));
        // the normalised text is 3 chars shorter (the zero-width spaces): the window ends at the caller's end
        Evidence last = r.evidence().get(r.evidence().size() - 1);
        assertThat(last.end()).isEqualTo(OBFUSCATED.length());
        assertThat(last.excerpt(OBFUSCATED)).endsWith("1\u200Bd1\u043Et");
    }

    @Test
    void should_give_the_default_guard_a_scanner_budget_that_can_be_changed_or_removed() {
        assertThat(DefaultModels.DEFAULT_SCANNER_TIMEOUT).isEqualTo(Duration.ofSeconds(30));
        String longText = "The library opens at nine and closes at six on weekdays. ".repeat(400);
        try (Guard tight = DefaultModels.guard(Duration.ofMillis(1))) {
            ScanResult r = tight.scanPrompt(longText).result("toxicity", Stage.PROMPT).orElseThrow();
            assertThat(r.decision()).isEqualTo(Decision.ERROR);
            assertThat(r.error()).isInstanceOf(ScanTimeoutException.class);
        }
        try (Guard none = DefaultModels.guard(null)) {
            assertThat(none.scanPrompt(QUESTION).allowed()).isTrue();
        }
        assertThatThrownBy(() -> DefaultModels.guard(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("scannerTimeout");
    }

    @Test
    void should_hand_out_the_default_arrangement_as_a_builder_on_this_encoder() {
        assertThat(models.normalizer()).isSameAs(models.normalizer());
        long before = models.encoder().textsEncoded();
        try (Guard guard = models.guardBuilder().scannerTimeout(DefaultModels.DEFAULT_SCANNER_TIMEOUT).build()) {
            Verdict v = guard.scan("What is the capital of France?", "The capital of France is Paris.");
            assertThat(v.results()).extracting(ScanResult::scanner).containsExactly("toxicity", "toxicity", "refusal", "preference");
            assertThat(v.allowed()).as(v.toString()).isTrue();
            assertThat(guard.scanPrompt(OBFUSCATED).blocked()).isTrue();
            guard.scanPrompt("Which rivers cross the city of " + System.nanoTime() + "?"); // a text no memo holds
        }
        assertThat(models.encoder().textsEncoded()).as("scanned on this object's encoder").isGreaterThan(before);
        assertThat(models.encoder().isClosed()).isFalse();
    }

    @Test
    void should_normalize_toxicity_from_a_configuration_file_unless_told_not_to() {
        String json = """
                {"input_scanners": [{"type": "toxicity"}, {"type": "toxicity", "params": {"name": "raw", "normalize": false}}]}
                """;
        try (Guard guard = dev.parapet.scanners.GuardConfig.parse(json, null)) {
            Verdict v = guard.scanPrompt(OBFUSCATED);
            assertThat(v.result("toxicity").orElseThrow().decision()).isEqualTo(Decision.FLAGGED);
            assertThat(v.result("toxicity").orElseThrow().evidence()).allSatisfy(e -> assertThat(e.end()).isLessThanOrEqualTo(OBFUSCATED.length()));
            assertThat(v.result("raw").orElseThrow().decision()).isEqualTo(Decision.PASSED);
            assertThat(guard.scanPrompt(QUESTION).allowed()).isTrue();
        }
    }

    @Test
    void should_run_every_head_on_one_encoder_pass_per_text() {
        try (Guard guard = Guard.builder()
                .inputScanner(models.toxicityScanner().build())
                .outputScanner(models.toxicityScanner().build())
                .outputScanner(models.refusalScanner().build())
                .outputScanner(models.preferenceScanner().build())
                .build()) {
            String prompt = "Name a prime number larger than " + System.nanoTime();
            long before = models.encoder().textsEncoded();
            long openings = models.encoder().openingsEncoded();
            guard.scan(prompt, "Sure: 7919 is prime, and so is " + prompt.hashCode() + " perhaps.");
            assertThat(models.encoder().textsEncoded() - before).isEqualTo(2);
            // the refusal head also reads the output's first 8 tokens: one short run of its own
            assertThat(models.encoder().openingsEncoded() - openings).isEqualTo(1);
            guard.scan(prompt, "Yes.");
            assertThat(models.encoder().openingsEncoded() - openings).as("an output of at most 8 tokens is its own opening").isEqualTo(1);
        }
    }

    @Test
    void should_load_the_default_scanners_from_a_configuration_file() {
        String json = """
                {"input_scanners": [{"type": "toxicity", "params": {"match": "sentences"}}],
                 "output_scanners": [{"type": "refusal"}, {"type": "preference", "params": {"min_preference": 0.05}}]}
                """;
        try (Guard guard = dev.parapet.scanners.GuardConfig.parse(json, null)) {
            Verdict v = guard.scan("I hope you die, you worthless idiot", "The capital of France is Paris.");
            assertThat(v.results()).extracting(ScanResult::scanner).containsExactly("toxicity", "refusal", "preference");
            assertThat(v.result("toxicity").orElseThrow().decision()).isEqualTo(Decision.FLAGGED);
            assertThat(v.result("toxicity").orElseThrow().attributes()).containsEntry("match", "sentences");
            assertThat(v.result("preference", Stage.OUTPUT).orElseThrow().threshold()).isEqualTo(0.95, org.assertj.core.api.Assertions.within(1e-9));
        }
    }

    @Test
    void should_find_a_toxic_sentence_at_the_end_of_a_5000_word_benign_output() {
        StringBuilder sb = new StringBuilder();
        String[] benign = {"The library opens at nine and closes at six on weekdays.", "Our team shipped the new release after a week of testing.",
                "Fresh bread is best when the crust is crisp and golden.", "The river runs through the valley past old stone bridges.",
                "Please remember to water the tomatoes every other morning.", "Train tickets are cheaper if you book them in advance."};
        int words = 0;
        for (int i = 0; words < 5000; i++) {
            sb.append(benign[i % benign.length]).append(' ');
            words += benign[i % benign.length].split(" ").length;
        }
        String clean = sb.toString();
        String text = clean + "I hope you die, you worthless idiot.";
        try (HeadScanner sentences = models.toxicityScanner().matchMode(dev.parapet.scanners.MatchMode.SENTENCES).build()) {
            ScanResult r = sentences.scan(ScanInput.output("Tell me about your week.", text));
            assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
            assertThat(r.evidence()).isNotEmpty().allSatisfy(e -> assertThat(e.start()).isGreaterThanOrEqualTo(clean.length() - 1));
            assertThat(sentences.scan(ScanInput.output("Tell me about your week.", clean)).decision()).isEqualTo(Decision.PASSED);
        }
        ScanResult windows = toxicity.scan(ScanInput.output("Tell me about your week.", text));
        assertThat(windows.evidence()).isNotEmpty();
        assertThat(windows.evidence().get(windows.evidence().size() - 1).end()).isEqualTo(text.length());
    }

    @Test
    void should_give_the_same_decision_streamed_as_scanned_whole_in_sentence_mode() {
        String output = "Sure, here is a summary of the meeting. We agreed on the budget. "
                + "Frankly, you are a worthless idiot and I hope you die. Next steps follow.";
        try (Guard guard = Guard.builder().outputScanner(models.toxicityScanner().matchMode(dev.parapet.scanners.MatchMode.SENTENCES).build()).build()) {
            Verdict whole = guard.scanOutput("Summarise the meeting.", output);
            dev.parapet.core.StreamingScan stream = guard.streamOutput("Summarise the meeting.");
            StringBuilder released = new StringBuilder();
            for (int i = 0; i < output.length(); i += 5) {
                dev.parapet.core.StreamingScan.Update u = stream.append(output.substring(i, Math.min(output.length(), i + 5)));
                released.append(u.released());
                if (u.blocked()) {
                    break;
                }
            }
            assertThat(whole.blocked()).isTrue();
            assertThat(stream.blocked()).isTrue();
            assertThat(released.toString()).doesNotContain("idiot");
            int wholeStart = whole.firstBlocking().orElseThrow().evidence().get(0).start();
            assertThat(stream.verdict().firstBlocking().orElseThrow().evidence().get(0).start()).isEqualTo(wholeStart);
        }
    }

    @Test
    void should_record_training_metadata_in_the_heads() {
        assertThat(models.toxicityHead().encoderSha256()).hasSize(64);
        assertThat(models.toxicityHead().labels()).containsExactly("non-toxic", "toxic");
        assertThat(models.refusalHead().labels()).containsExactly("compliance", "refusal");
        assertThat(models.preferenceHead().labels()).containsExactly("rejected", "chosen");
        assertThat(models.toxicityHead().metadata()).isNotEmpty();
    }
}
