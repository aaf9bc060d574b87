package dev.parapet.core;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScannerTimeoutTest {

    /** Sleeps longer than any budget in these tests, and reports what deadline it saw. */
    static final class Slow implements Scanner {
        volatile Duration seenBudget;

        @Override
        public String name() {
            return "slow";
        }

        @Override
        public ScanResult scan(ScanInput input) {
            seenBudget = ScanDeadline.budget();
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ScanResult.builder(name(), input.stage()).build();
        }
    }

    /** Checks the deadline the way model scanners do. */
    static final class Cooperative implements Scanner {
        @Override
        public String name() {
            return "cooperative";
        }

        @Override
        public ScanResult scan(ScanInput input) {
            while (true) {
                ScanDeadline.check("busy loop");
                Thread.onSpinWait();
            }
        }
    }

    @Test
    void should_turn_a_late_result_into_an_error_that_fails_closed() {
        Slow slow = new Slow();
        try (Guard guard = Guard.builder().inputScanner(slow).scannerTimeout(Duration.ofMillis(50)).build()) {
            Verdict v = guard.scanPrompt("hello");
            assertThat(v.blocked()).isTrue();
            ScanResult r = v.results().get(0);
            assertThat(r.decision()).isEqualTo(Decision.ERROR);
            assertThat(r.error()).isInstanceOf(ScanTimeoutException.class);
            assertThat(r.errorMessage()).contains("time budget of 50 ms");
            assertThat(slow.seenBudget).isEqualTo(Duration.ofMillis(50));
        }
    }

    @Test
    void should_let_the_policy_decide_for_a_timed_out_scanner() {
        try (Guard guard = Guard.builder().inputScanner(new Cooperative()).scannerTimeout(Duration.ofMillis(20))
                .failurePolicy(FailurePolicy.FAIL_OPEN).build()) {
            Verdict v = guard.scanPrompt("hello");
            assertThat(v.allowed()).isTrue();
            assertThat(v.results().get(0).error()).isInstanceOf(ScanTimeoutException.class);
            assertThat(ScanDeadline.budget()).as("the deadline does not leak out of the call").isNull();
        }
    }

    @Test
    void should_give_a_batch_one_budget_per_input() {
        Slow slow = new Slow();
        try (Guard guard = Guard.builder().inputScanner(slow).scannerTimeout(Duration.ofSeconds(5)).build()) {
            List<Verdict> vs = guard.scanAll(List.of(Exchange.promptOnly("a"), Exchange.promptOnly("b")));
            assertThat(vs).allSatisfy(v -> assertThat(v.allowed()).isTrue());
        }
        assertThatThrownBy(() -> Guard.builder().scannerTimeout(Duration.ZERO)).hasMessageContaining("scannerTimeout");
    }
}
