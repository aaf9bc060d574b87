package dev.parapet.reliability;

import dev.parapet.core.Decision;
import dev.parapet.core.Guard;
import dev.parapet.core.InputLimits;
import dev.parapet.core.ScanResult;
import dev.parapet.core.ScanTimeoutException;
import dev.parapet.core.Stage;
import dev.parapet.core.Verdict;
import dev.parapet.models.DefaultModels;
import dev.parapet.scanners.RegexBudgetExceededException;
import dev.parapet.reliability.HostileCorpus.Case;
import dev.parapet.reliability.HostileCorpus.Expect;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 9, item 1: every hostile input comes back as a verdict or as the documented
 * {@code input-limits} result, through {@link Guard#scan} with the default scanners and with every
 * rule scanner in front of them; no exception escapes. Times are measured by
 * {@link HostileCorpusReport}, not asserted here.
 */
class HostileInputTest {
    static Guard defaults;
    static Guard hardened;

    @BeforeAll
    static void build() {
        SharedModels.get();
        defaults = DefaultModels.guard();
        hardened = Guards.hardened(SharedModels.get()).build();
    }

    @AfterAll
    static void close() {
        defaults.close();
        hardened.close();
    }

    static Stream<Case> lightCases() {
        return HostileCorpus.cases().stream().filter(c -> !c.heavy());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lightCases")
    void should_return_a_verdict_or_the_limit_result(Case c) {
        String text = c.text().get();
        check(c, text, defaults.scan(text, text), true);
        check(c, text, defaults.scanOutput("Please answer.", text), true);
        check(c, text, hardened.scan(text, text), false);
    }

    private static void check(Case c, String text, Verdict v, boolean evidenceIsOnTheCallersText) {
        assertThat(v.results()).as("%s: a result for every scanner", c.name()).isNotEmpty();
        if (c.expect() == Expect.LIMIT) {
            ScanResult limit = v.result(InputLimits.SCANNER_NAME).orElseThrow();
            assertThat(limit.decision()).isEqualTo(Decision.FLAGGED);
            assertThat(limit.label()).isIn(InputLimits.PROMPT_LABEL, InputLimits.OUTPUT_LABEL);
            assertThat(limit.attributes()).containsEntry("actual", Integer.toString(text.length()));
            assertThat(v.results()).filteredOn(r -> !r.scanner().equals(InputLimits.SCANNER_NAME))
                    .allSatisfy(r -> assertThat(r.decision()).isEqualTo(Decision.SKIPPED));
            assertThat(v.blocked()).isTrue();
            return;
        }
        for (ScanResult r : v.results()) {
            if (r.decision() == Decision.ERROR && r.error() instanceof RegexBudgetExceededException) {
                // the regex step budget, a documented limit: Java's \b rescans a run of combining marks at
                // every position, so "\bpass..." is quadratic on a mark flood; the budget stops it (fail closed)
                assertThat(v.blocked()).isTrue();
                continue;
            }
            assertThat(r.decision()).as("%s: %s", c.name(), r).isIn(Decision.PASSED, Decision.FLAGGED);
            if (!Double.isNaN(r.score())) {
                assertThat(r.score()).isBetween(0.0, 1.0);
            }
            if (evidenceIsOnTheCallersText) {
                String judged = r.stage() == Stage.PROMPT ? text : v.sanitizedOutput();
                r.evidence().forEach(e -> assertThat(e.end()).isBetween(e.start(), judged.length()));
            }
        }
    }

    @Test
    void should_report_the_limit_on_whichever_text_is_over_it() {
        String tooLong = HostileCorpus.prose(HostileCorpus.TEN_MB, 2);
        Verdict output = defaults.scanOutput("What happened?", tooLong);
        assertThat(output.result(InputLimits.SCANNER_NAME).orElseThrow().label()).isEqualTo(InputLimits.OUTPUT_LABEL);
        assertThat(output.result(InputLimits.SCANNER_NAME).orElseThrow().attributes().get("message"))
                .contains("maxOutputChars").contains("InputLimits.builder()");
        Verdict prompt = defaults.scanPrompt(tooLong);
        assertThat(prompt.result(InputLimits.SCANNER_NAME).orElseThrow().label()).isEqualTo(InputLimits.PROMPT_LABEL);
        assertThat(prompt.blocked()).isTrue();
        String atTheLimit = "x".repeat(HostileCorpus.ONE_MB);
        assertThat(defaults.scanPrompt(atTheLimit).result(InputLimits.SCANNER_NAME)).as("exactly at the limit passes").isEmpty();
    }

    /**
     * The 1 MB case takes minutes per encoder pass with the default models on two cores
     * (docs/reliability.md); in a request path the bound is the scanner timeout. Here: a verdict
     * in bounded time, each scanner either done or stopped at its budget, and fail-closed.
     */
    @Test
    void should_bound_a_1mb_exchange_with_the_scanner_timeout() {
        String text = HostileCorpus.prose(HostileCorpus.ONE_MB, 1);
        try (Guard guard = Guards.defaults(SharedModels.get()).scannerTimeout(Duration.ofSeconds(2)).build()) {
            Verdict v = guard.scan(text, text);
            assertThat(v.results()).hasSize(4);
            for (ScanResult r : v.results()) {
                assertThat(r.decision()).isIn(Decision.PASSED, Decision.FLAGGED, Decision.ERROR);
                if (r.decision() == Decision.ERROR) {
                    assertThat(r.error()).isInstanceOf(ScanTimeoutException.class);
                    assertThat(v.blocked()).isTrue();
                }
            }
        }
    }

    @Test
    void should_keep_the_heap_flat_when_the_corpus_runs_again() {
        List<Case> cases = lightCases().toList();
        for (Case c : cases) {
            String t = c.text().get();
            defaults.scan(t, t);
        }
        long first = heapAfterGc();
        for (int round = 0; round < 2; round++) {
            for (Case c : cases) {
                String t = c.text().get();
                defaults.scan(t, t);
            }
            for (int i = 0; i < 150; i++) {
                defaults.scanPrompt("A new prompt, number " + i + " of round " + round + ", so that the memo turns over.");
            }
        }
        long last = heapAfterGc();
        // coarse bounds that no GC timing can break: keeping each round's texts would add megabytes per round
        assertThat(last).as("heap after GC, bytes").isLessThan(first + 64L * 1024 * 1024);
        assertThat(last).isLessThan(1024L * 1024 * 1024);
    }

    static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
