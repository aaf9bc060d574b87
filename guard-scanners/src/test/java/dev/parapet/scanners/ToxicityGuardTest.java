package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.Exchange;
import dev.parapet.core.FailurePolicy;
import dev.parapet.core.Guard;
import dev.parapet.core.InputLimits;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Stage;
import dev.parapet.core.Verdict;
import dev.parapet.demo.DemoModels;
import dev.parapet.onnx.ModelSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The whole pipeline on real inference: Guard → toxicity scanners → ONNX Runtime on the demo model. */
class ToxicityGuardTest {
    static final String TOXIC = "You are a disgusting worthless idiot and I hope you suffer.";
    static final String BENIGN = "Could you recommend a good book about the history of astronomy?";
    static final String ANSWER = "Sure: 'Cosmos' by Carl Sagan is a classic introduction.";

    static ModelSource model;
    static Guard guard;

    @BeforeAll
    static void setUp() {
        model = ModelSource.directory(DemoModels.toxicity());
        guard = Guard.builder()
                .inputScanner(ToxicityScanner.builder(model).build())
                .outputScanner(ToxicityScanner.builder(model).threshold(0.6).build())
                .build();
    }

    @AfterAll
    static void tearDown() {
        guard.close();
    }

    @Test
    void should_block_toxic_prompt_when_threshold_is_default() {
        Verdict verdict = guard.scanPrompt(TOXIC);
        assertThat(verdict.allowed()).isFalse();
        ScanResult r = verdict.firstBlocking().orElseThrow();
        assertThat(r.scanner()).isEqualTo("toxicity");
        assertThat(r.stage()).isEqualTo(Stage.PROMPT);
        assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
        assertThat(r.label()).isEqualTo("toxic");
        assertThat(r.threshold()).isEqualTo(0.5);
        assertThat(r.score()).isGreaterThanOrEqualTo(0.5).isLessThanOrEqualTo(1.0);
        assertThat(r.riskScore()).isGreaterThanOrEqualTo(0.0);
        assertThat(r.attributes()).containsEntry("provider", "CPU").containsEntry("windows", "1").containsEntry("aggregation", "max");
        Evidence e = r.evidence().get(0);
        assertThat(e.excerpt(TOXIC)).isEqualTo(TOXIC);
        assertThat(e.label()).isEqualTo("toxic");
    }

    @Test
    void should_allow_a_benign_exchange_and_report_every_scanner() {
        Verdict verdict = guard.scan(BENIGN, ANSWER);
        assertThat(verdict.allowed()).isTrue();
        assertThat(verdict.results()).hasSize(2);
        assertThat(verdict.results()).extracting(ScanResult::stage).containsExactly(Stage.PROMPT, Stage.OUTPUT);
        assertThat(verdict.results()).allSatisfy(r -> {
            assertThat(r.decision()).isEqualTo(Decision.PASSED);
            assertThat(r.score()).isLessThan(r.threshold());
        });
        assertThat(verdict.result("toxicity", Stage.OUTPUT).orElseThrow().threshold()).isEqualTo(0.6);
        assertThat(verdict.sanitizedPrompt()).isEqualTo(BENIGN);
        assertThat(verdict.sanitizedOutput()).isEqualTo(ANSWER);
    }

    @Test
    void should_block_a_toxic_output_for_a_benign_prompt() {
        Verdict verdict = guard.scanOutput(BENIGN, TOXIC);
        assertThat(verdict.allowed()).isFalse();
        assertThat(verdict.firstBlocking().orElseThrow().stage()).isEqualTo(Stage.OUTPUT);
    }

    @Test
    void should_batch_many_exchanges_with_the_same_decisions_as_single_calls() {
        List<Exchange> exchanges = List.of(Exchange.of(BENIGN, ANSWER), Exchange.of(TOXIC, ANSWER),
                Exchange.of(BENIGN, TOXIC), Exchange.promptOnly(BENIGN), Exchange.of("", ""));
        List<Verdict> batch = guard.scanAll(exchanges);
        assertThat(batch).extracting(Verdict::allowed).containsExactly(true, false, false, true, true);
        for (int i = 0; i < exchanges.size(); i++) {
            Exchange x = exchanges.get(i);
            Verdict single = x.output() == null ? guard.scanPrompt(x.prompt()) : guard.scan(x.prompt(), x.output());
            assertThat(batch.get(i).allowed()).isEqualTo(single.allowed());
        }
        assertThat(batch.get(3).results()).hasSize(1);
        assertThat(batch.get(4).results()).allSatisfy(r -> {
            assertThat(r.decision()).isEqualTo(Decision.PASSED);
            assertThat(r.attributes()).containsEntry("blank", "true");
            assertThat(r.score()).isNaN();
        });
    }

    @Test
    void should_point_at_the_toxic_sentence_inside_a_long_output() {
        String filler = "The library opens at nine and closes at six on weekdays. ".repeat(400);
        String output = filler + TOXIC;
        try (ClassifierScanner fine = ToxicityScanner.builder(model).maxLength(32).stride(8).build()) {
            ScanResult r = fine.scan(ScanInput.output(BENIGN, output));
            assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
            assertThat(r.evidence()).isNotEmpty();
            assertThat(r.evidence()).allSatisfy(e -> assertThat(e.end()).isGreaterThan(filler.length() - 200));
            assertThat(r.evidence()).anySatisfy(e -> assertThat(e.excerpt(output)).contains("idiot"));
            assertThat(Integer.parseInt(r.attributes().get("windows"))).isGreaterThan(100);
        }
    }

    @Test
    void should_find_the_toxic_sentence_inside_a_long_output_sentence_by_sentence() {
        String filler = "The library opens at nine and closes at six on weekdays. ".repeat(400);
        String output = "😀 " + filler + TOXIC + " Have a nice day.";
        try (ClassifierScanner sentences = ToxicityScanner.builder(model).matchMode(MatchMode.SENTENCES).build()) {
            ScanResult r = sentences.scan(ScanInput.output(BENIGN, output));
            assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
            assertThat(r.attributes()).containsEntry("match", "sentences");
            assertThat(r.evidence()).singleElement().satisfies(e -> assertThat(e.excerpt(output)).isEqualTo(TOXIC));
        }
    }

    @Test
    void should_turn_a_closed_scanner_into_an_error_result_that_fails_closed() {
        ClassifierScanner scanner = ToxicityScanner.builder(model).build();
        scanner.close();
        try (Guard closedScanner = Guard.builder().inputScanner(scanner).build();
             Guard failOpen = Guard.builder().inputScanner(ToxicityScanner.builder(model).build())
                     .failurePolicy(FailurePolicy.FAIL_OPEN).build()) {
            Verdict v = closedScanner.scanPrompt(BENIGN);
            assertThat(v.allowed()).isFalse();
            assertThat(v.results().get(0).decision()).isEqualTo(Decision.ERROR);
            assertThat(v.results().get(0).errorMessage()).contains("closed");
            assertThat(failOpen.scanPrompt(BENIGN).allowed()).isTrue();
        }
    }

    @Test
    void should_block_text_over_the_input_limit_without_running_the_model() {
        try (Guard limited = Guard.builder().inputScanner(ToxicityScanner.builder(model).build())
                .limits(InputLimits.builder().maxPromptChars(100).build()).build()) {
            Verdict v = limited.scanPrompt(BENIGN.repeat(5));
            assertThat(v.allowed()).isFalse();
            assertThat(v.firstBlocking().orElseThrow().scanner()).isEqualTo(InputLimits.SCANNER_NAME);
        }
    }

    @Test
    void should_validate_scanner_settings_naming_them() {
        assertThatThrownBy(() -> ToxicityScanner.builder(model).threshold(0)).hasMessageContaining("threshold");
        assertThatThrownBy(() -> ToxicityScanner.builder(model).threshold(1.5)).hasMessageContaining("threshold");
        assertThatThrownBy(() -> ClassifierScanner.builder("x", model).flaggedLabels("insult").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("insult")
                .hasMessageContaining("non-toxic");
        assertThatThrownBy(() -> ClassifierScanner.builder(" ", model)).hasMessageContaining("name");
    }

    @Test
    void should_read_prompt_output_pairs_only_on_outputs() {
        try (ClassifierScanner pair = ClassifierScanner.builder("pair-toxicity", model).input(TextInput.PAIR).build()) {
            ScanResult out = pair.scan(ScanInput.output(BENIGN, TOXIC));
            assertThat(out.decision()).isIn(Decision.PASSED, Decision.FLAGGED);
            assertThat(out.evidence().get(0).excerpt(TOXIC)).isEqualTo(TOXIC);
            ScanResult onPrompt = pair.scan(ScanInput.prompt(BENIGN));
            assertThat(onPrompt.decision()).isEqualTo(Decision.ERROR);
            assertThat(onPrompt.errorMessage()).contains("outputs");
        }
    }
}
