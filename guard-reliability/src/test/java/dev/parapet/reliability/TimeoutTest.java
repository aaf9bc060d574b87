package dev.parapet.reliability;

import dev.parapet.core.Decision;
import dev.parapet.core.FailurePolicy;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanResult;
import dev.parapet.core.ScanTimeoutException;
import dev.parapet.core.Verdict;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 9, item 5, on the default models: a scanner over its time budget becomes an ERROR result
 * (its ONNX run is stopped through RunOptions) and the failure policy decides the verdict. The
 * outcomes must not depend on the machine's speed: a 60,000-char text is ~70 windows of 256 tokens,
 * over a teraflop of encoder work that no CPU finishes in 50 ms, and a 1 ns budget is spent before
 * the first ONNX run. How long a stopped scan takes to return is measured in docs/reliability.md.
 */
class TimeoutTest {
    static final Duration TIGHT = Duration.ofMillis(50);
    static final Duration SPENT = Duration.ofNanos(1);

    private static String longText(long seed) {
        return HostileCorpus.prose(60_000, seed);
    }

    @Test
    void should_turn_an_expired_model_scan_into_an_error_that_fails_closed() {
        try (Guard guard = Guards.defaults(SharedModels.get()).scannerTimeout(TIGHT).build()) {
            Verdict v = guard.scanPrompt(longText(11));
            ScanResult r = v.result("toxicity").orElseThrow();
            assertThat(r.decision()).isEqualTo(Decision.ERROR);
            assertThat(r.error()).isInstanceOf(ScanTimeoutException.class);
            assertThat(r.errorMessage()).contains("50 ms");
            assertThat(v.blocked()).isTrue();
        }
    }

    @Test
    void should_let_fail_open_allow_an_exchange_whose_scanners_all_expired() {
        try (Guard guard = Guards.defaults(SharedModels.get()).scannerTimeout(TIGHT).failurePolicy(FailurePolicy.FAIL_OPEN).build()) {
            Verdict v = guard.scan("Tell me about your week.", longText(12));
            assertThat(v.results()).filteredOn(r -> r.stage() == dev.parapet.core.Stage.OUTPUT)
                    .hasSize(3)
                    .allSatisfy(r -> {
                        assertThat(r.decision()).isEqualTo(Decision.ERROR);
                        assertThat(r.error()).isInstanceOf(ScanTimeoutException.class);
                    });
            assertThat(v.allowed()).isTrue();
        }
    }

    @Test
    void should_score_a_text_normally_after_it_timed_out_once() {
        String text = HostileCorpus.prose(3_000, 13);
        // two guards on one shared encoder (one memo): an encoding that timed out must not stay cached
        try (Guard spent = Guards.defaults(SharedModels.get()).scannerTimeout(SPENT).build();
             Guard roomy = Guards.defaults(SharedModels.get()).build()) {
            ScanResult expired = spent.scanPrompt(text).results().get(0);
            assertThat(expired.decision()).isEqualTo(Decision.ERROR);
            assertThat(expired.error()).isInstanceOf(ScanTimeoutException.class);
            ScanResult r = roomy.scanPrompt(text).results().get(0);
            assertThat(r.decision()).isIn(Decision.PASSED, Decision.FLAGGED);
            assertThat(r.score()).isBetween(0.0, 1.0);
        }
    }
}
