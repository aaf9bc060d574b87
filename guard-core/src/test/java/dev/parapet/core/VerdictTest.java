package dev.parapet.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class VerdictTest {
    private static final ScanResult PASSED = ScanResult.builder("a", Stage.PROMPT).build();
    private static final ScanResult ERROR =
            ScanResult.error("b", Stage.PROMPT, new IllegalStateException("model gone"), Duration.ZERO);
    private static final ScanResult SKIPPED = ScanResult.skipped("c", Stage.PROMPT);
    private static final ScanResult FLAGGED =
            ScanResult.builder("d", Stage.OUTPUT).decision(Decision.FLAGGED).label("toxic").build();

    @Test
    void should_block_on_error_only_when_fail_closed() {
        List<ScanResult> results = List.of(PASSED, ERROR, SKIPPED);

        Verdict closed = new Verdict(results, FailurePolicy.FAIL_CLOSED, "p", null, Duration.ZERO);
        Verdict open = new Verdict(results, FailurePolicy.FAIL_OPEN, "p", null, Duration.ZERO);

        assertThat(closed.allowed()).isFalse();
        assertThat(closed.blockingResults()).containsExactly(ERROR);
        assertThat(open.allowed()).isTrue();
        assertThat(open.blockingResults()).isEmpty();
        assertThat(open.firstBlocking()).isEmpty();
        assertThat(open.results()).containsExactly(PASSED, ERROR, SKIPPED);
    }

    @Test
    void should_list_blocking_results_in_result_order() {
        Verdict v = new Verdict(List.of(PASSED, ERROR, FLAGGED), FailurePolicy.FAIL_CLOSED, "p", "o", Duration.ZERO);

        assertThat(v.blocked()).isTrue();
        assertThat(v.blockingResults()).containsExactly(ERROR, FLAGGED);
        assertThat(v.firstBlocking()).contains(ERROR);
    }

    @Test
    void should_find_results_by_name_and_stage() {
        ScanResult outputA = ScanResult.builder("a", Stage.OUTPUT).build();
        Verdict v = new Verdict(List.of(PASSED, outputA), FailurePolicy.FAIL_CLOSED, "p", "o", Duration.ZERO);

        assertThat(v.result("a")).contains(PASSED);
        assertThat(v.result("a", Stage.OUTPUT)).contains(outputA);
        assertThat(v.result("nope")).isEmpty();
    }

    @Test
    void should_not_put_the_texts_in_to_string() {
        Verdict v = new Verdict(List.of(PASSED, FLAGGED), FailurePolicy.FAIL_CLOSED,
                "my card is 4111 1111", "the secret answer", Duration.ofMillis(3));

        assertThat(v.toString())
                .startsWith("Verdict[BLOCKED by d[OUTPUT]")
                .contains("a[PROMPT] PASSED", "d[OUTPUT] FLAGGED label=toxic")
                .doesNotContain("4111", "secret");
    }
}
