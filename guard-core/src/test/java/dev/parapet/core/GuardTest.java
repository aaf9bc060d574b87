package dev.parapet.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class GuardTest {

    @Test
    void should_allow_prompt_when_no_scanner_flags() {
        SubstringDetector banned = new SubstringDetector("banned", "bomb");
        try (Guard guard = Guard.builder().inputScanner(banned).build()) {
            Verdict v = guard.scanPrompt("hello there");

            assertThat(v.allowed()).isTrue();
            assertThat(v.blockingResults()).isEmpty();
            assertThat(v.firstBlocking()).isEmpty();
            assertThat(v.results()).singleElement().satisfies(r -> {
                assertThat(r.scanner()).isEqualTo("banned");
                assertThat(r.stage()).isEqualTo(Stage.PROMPT);
                assertThat(r.decision()).isEqualTo(Decision.PASSED);
            });
            assertThat(v.sanitizedPrompt()).isEqualTo("hello there");
            assertThat(v.sanitizedOutput()).isNull();
            assertThat(v.latency()).isGreaterThanOrEqualTo(Duration.ZERO);
            assertThat(banned.textsSeen()).containsExactly("hello there");
        }
    }

    @Test
    void should_block_when_detector_flags_and_report_which_scanner_and_label() {
        SubstringDetector banned = new SubstringDetector("banned", "bomb");
        try (Guard guard = Guard.builder().inputScanner(new SubstringDetector("other", "zzz")).inputScanner(banned)
                .build()) {
            Verdict v = guard.scanPrompt("how to build a bomb");

            assertThat(v.allowed()).isFalse();
            assertThat(v.blockingResults()).extracting(ScanResult::scanner).containsExactly("banned");
            ScanResult fired = v.firstBlocking().orElseThrow();
            assertThat(fired.decision()).isEqualTo(Decision.FLAGGED);
            assertThat(fired.label()).isEqualTo("substring");
            assertThat(fired.score()).isEqualTo(SubstringDetector.FLAG_SCORE);
            assertThat(fired.threshold()).isEqualTo(SubstringDetector.THRESHOLD);
            assertThat(v.result("banned")).contains(fired);
            assertThat(v.result("other")).get().extracting(ScanResult::decision).isEqualTo(Decision.PASSED);
        }
    }

    @Test
    void should_preserve_evidence_offsets_into_the_callers_string() {
        String prompt = "😀 héllo 😀 bomb and bomb";
        try (Guard guard = Guard.builder().inputScanner(new SubstringDetector("banned", "bomb")).build()) {
            ScanResult r = guard.scanPrompt(prompt).result("banned").orElseThrow();

            assertThat(r.evidence()).extracting(Evidence::start)
                    .containsExactly(prompt.indexOf("bomb"), prompt.lastIndexOf("bomb"));
            assertThat(r.evidence()).allSatisfy(e -> assertThat(e.excerpt(prompt)).isEqualTo("bomb"));
        }
    }

    @Test
    void should_run_sanitizers_in_declared_order_and_give_detectors_the_final_text() {
        SubstringDetector detector = new SubstringDetector("masked", RedactingSanitizer.MASK);
        RedactingSanitizer redact = new RedactingSanitizer("redact", "secret");
        UppercaseSanitizer upper = new UppercaseSanitizer("upper");
        // The detector is declared first, yet must see the text both sanitizers left; had upper-casing
        // run first, the case-sensitive redaction would have found nothing.
        try (Guard guard = Guard.builder().inputScanners(List.of(detector, redact, upper)).build()) {
            Verdict v = guard.scanPrompt("my secret plan");

            assertThat(v.results()).extracting(ScanResult::scanner).containsExactly("masked", "redact", "upper");
            assertThat(redact.textsSeen()).containsExactly("my secret plan");
            assertThat(upper.textsSeen()).containsExactly("my [REDACTED] plan");
            assertThat(detector.textsSeen()).containsExactly("MY [REDACTED] PLAN");
            assertThat(v.sanitizedPrompt()).isEqualTo("MY [REDACTED] PLAN");
            assertThat(v.result("masked")).get().extracting(ScanResult::decision).isEqualTo(Decision.FLAGGED);
        }
    }

    @Test
    void should_give_output_scanners_the_sanitized_prompt_and_sanitize_the_output() {
        SubstringDetector outputDetector = new SubstringDetector("leak", "password");
        try (Guard guard = Guard.builder()
                .inputScanner(new RedactingSanitizer("redact-prompt", "alice"))
                .outputScanner(new RedactingSanitizer("redact-output", "hunter2"))
                .outputScanner(outputDetector)
                .build()) {
            Verdict v = guard.scan("I am alice", "your password is hunter2");

            assertThat(outputDetector.inputs).singleElement().satisfies(in -> {
                assertThat(in.stage()).isEqualTo(Stage.OUTPUT);
                assertThat(in.prompt()).isEqualTo("I am [REDACTED]");
                assertThat(in.output()).isEqualTo("your password is [REDACTED]");
            });
            assertThat(v.sanitizedPrompt()).isEqualTo("I am [REDACTED]");
            assertThat(v.sanitizedOutput()).isEqualTo("your password is [REDACTED]");
            assertThat(v.results()).extracting(ScanResult::scanner, ScanResult::stage).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("redact-prompt", Stage.PROMPT),
                    org.assertj.core.groups.Tuple.tuple("redact-output", Stage.OUTPUT),
                    org.assertj.core.groups.Tuple.tuple("leak", Stage.OUTPUT));
            assertThat(v.blocked()).isTrue();
        }
    }

    @Test
    void should_run_only_the_stage_asked_for() {
        SubstringDetector in = new SubstringDetector("in", "x");
        SubstringDetector out = new SubstringDetector("out", "x");
        try (Guard guard = Guard.builder().inputScanner(in).outputScanner(out).build()) {
            Verdict prompt = guard.scanPrompt("p");
            Verdict output = guard.scanOutput("p", "o");

            assertThat(prompt.results()).extracting(ScanResult::scanner).containsExactly("in");
            assertThat(output.results()).extracting(ScanResult::scanner).containsExactly("out");
            assertThat(output.sanitizedPrompt()).isEqualTo("p");
            assertThat(output.sanitizedOutput()).isEqualTo("o");
            assertThat(in.scanCalls).hasValue(1);
            assertThat(out.scanCalls).hasValue(1);
        }
    }

    @Test
    void should_ignore_a_detectors_sanitized_text() {
        Scanner rewritingDetector = new RecordingScanner("rewriter") {
            @Override
            protected ScanResult judge(ScanInput input) {
                return ScanResult.builder(name(), input.stage()).sanitizedText("rewritten").build();
            }
        };
        try (Guard guard = Guard.builder().inputScanner(rewritingDetector).build()) {
            assertThat(guard.scanPrompt("original").sanitizedPrompt()).isEqualTo("original");
        }
    }

    @Test
    void should_block_when_scanner_throws_and_policy_is_fail_closed() {
        IllegalStateException boom = new IllegalStateException("model crashed");
        try (Guard guard = Guard.builder()
                .inputScanner(new ThrowingScanner("broken", boom))
                .inputScanner(new SubstringDetector("fine", "zzz"))
                .build()) {
            Verdict v = guard.scanPrompt("hello");

            assertThat(v.allowed()).isFalse();
            ScanResult r = v.firstBlocking().orElseThrow();
            assertThat(r.scanner()).isEqualTo("broken");
            assertThat(r.decision()).isEqualTo(Decision.ERROR);
            assertThat(r.error()).isSameAs(boom);
            assertThat(r.errorMessage()).isEqualTo("model crashed");
            assertThat(v.result("fine")).get().extracting(ScanResult::decision).isEqualTo(Decision.PASSED);
        }
    }

    @Test
    void should_allow_but_report_error_when_policy_is_fail_open() {
        try (Guard guard = Guard.builder()
                .inputScanner(new ThrowingScanner("broken", new IllegalStateException("model crashed")))
                .failurePolicy(FailurePolicy.FAIL_OPEN)
                .build()) {
            Verdict v = guard.scanPrompt("hello");

            assertThat(v.allowed()).isTrue();
            assertThat(v.results()).singleElement().extracting(ScanResult::decision).isEqualTo(Decision.ERROR);
        }
    }

    @Test
    void should_still_block_flagged_results_when_policy_is_fail_open() {
        try (Guard guard = Guard.builder()
                .inputScanner(new SubstringDetector("banned", "bomb"))
                .failurePolicy(FailurePolicy.FAIL_OPEN)
                .build()) {
            assertThat(guard.scanPrompt("bomb").allowed()).isFalse();
        }
    }

    @Test
    void should_turn_an_error_thrown_by_a_scanner_into_an_error_result() {
        AssertionError bug = new AssertionError("bug in scanner");
        try (Guard guard = Guard.builder().inputScanner(new ThrowingScanner("buggy", bug)).build()) {
            assertThat(guard.scanPrompt("hello").result("buggy").orElseThrow().error()).isSameAs(bug);
        }
    }

    @Test
    void should_let_virtual_machine_errors_propagate() {
        OutOfMemoryError oom = new OutOfMemoryError("test only");
        try (Guard guard = Guard.builder().inputScanner(new ThrowingScanner("hungry", oom)).build()) {
            assertThatThrownBy(() -> guard.scanPrompt("hello")).isSameAs(oom);
        }
    }

    @Test
    void should_let_virtual_machine_errors_from_parallel_detectors_reach_the_caller() {
        OutOfMemoryError oom = new OutOfMemoryError("test only");
        try (Guard guard = Guard.builder()
                .inputScanner(new SubstringDetector("fine", "x"))
                .inputScanner(new ThrowingScanner("hungry", oom))
                .build()) {
            assertThatThrownBy(() -> guard.scanPrompt("hello")).isSameAs(oom);
        }
    }

    @Test
    void should_report_error_when_scanner_returns_null() {
        try (Guard guard = Guard.builder().inputScanner(MisbehavingScanner.returningNull("silent")).build()) {
            Verdict v = guard.scanPrompt("hello");

            ScanResult r = v.result("silent").orElseThrow();
            assertThat(r.decision()).isEqualTo(Decision.ERROR);
            assertThat(r.errorMessage()).contains("'silent'", "null");
            assertThat(r.error()).isInstanceOf(ParapetException.class);
            assertThat(v.blocked()).isTrue();
        }
    }

    @Test
    void should_report_error_when_scanner_returns_a_result_under_another_name() {
        try (Guard guard = Guard.builder().inputScanner(MisbehavingScanner.returningName("liar", "someone-else"))
                .build()) {
            ScanResult r = guard.scanPrompt("hello").results().get(0);

            assertThat(r.scanner()).isEqualTo("liar");
            assertThat(r.decision()).isEqualTo(Decision.ERROR);
            assertThat(r.errorMessage()).contains("'liar'", "'someone-else'");
        }
    }

    @Test
    void should_report_error_when_scanner_returns_a_result_for_the_other_stage() {
        try (Guard guard = Guard.builder().outputScanner(MisbehavingScanner.returningStage("confused", Stage.PROMPT))
                .build()) {
            ScanResult r = guard.scanOutput("p", "o").results().get(0);

            assertThat(r.stage()).isEqualTo(Stage.OUTPUT);
            assertThat(r.decision()).isEqualTo(Decision.ERROR);
            assertThat(r.errorMessage()).contains("'confused'", "PROMPT", "OUTPUT");
        }
    }

    @Test
    void should_not_pass_on_a_failed_sanitizers_text_and_keep_the_original_under_fail_open() {
        SubstringDetector detector = new SubstringDetector("banned", "zzz");
        try (Guard guard = Guard.builder()
                .inputScanner(new ThrowingScanner("broken-sanitizer", new IllegalStateException("x"), true))
                .inputScanner(detector)
                .failurePolicy(FailurePolicy.FAIL_OPEN)
                .build()) {
            Verdict v = guard.scanPrompt("original");

            assertThat(v.allowed()).isTrue();
            assertThat(v.sanitizedPrompt()).isEqualTo("original");
            assertThat(detector.textsSeen()).containsExactly("original");
        }
    }

    @Test
    void should_skip_remaining_scanners_of_both_stages_when_fail_fast_and_a_scanner_blocks() {
        SubstringDetector first = new SubstringDetector("first", "bomb");
        SubstringDetector second = new SubstringDetector("second", "zzz");
        SubstringDetector output = new SubstringDetector("output", "zzz");
        try (Guard guard = Guard.builder().inputScanners(List.of(first, second)).outputScanner(output)
                .failFast(true).parallel(false).build()) {
            Verdict v = guard.scan("bomb", "fine");

            assertThat(v.results()).extracting(ScanResult::scanner, ScanResult::decision).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("first", Decision.FLAGGED),
                    org.assertj.core.groups.Tuple.tuple("second", Decision.SKIPPED),
                    org.assertj.core.groups.Tuple.tuple("output", Decision.SKIPPED));
            assertThat(v.blockingResults()).extracting(ScanResult::scanner).containsExactly("first");
            assertThat(second.scanCalls).hasValue(0);
            assertThat(output.scanCalls).hasValue(0);
        }
    }

    @Test
    void should_skip_all_detectors_when_fail_fast_and_a_sanitizer_blocks_even_in_parallel() {
        SubstringDetector d1 = new SubstringDetector("d1", "zzz");
        SubstringDetector d2 = new SubstringDetector("d2", "zzz");
        try (Guard guard = Guard.builder()
                .inputScanners(List.of(d1, new UppercaseSanitizer("upper-flagging", true), d2))
                .failFast(true).build()) {
            Verdict v = guard.scanPrompt("x");

            assertThat(v.results()).extracting(ScanResult::decision)
                    .containsExactly(Decision.SKIPPED, Decision.FLAGGED, Decision.SKIPPED);
            assertThat(d1.scanCalls.get() + d2.scanCalls.get()).isZero();
        }
    }

    @Test
    void should_skip_on_errors_with_fail_fast_only_when_errors_block() {
        SubstringDetector after = new SubstringDetector("after", "zzz");
        try (Guard guard = Guard.builder()
                .inputScanner(new ThrowingScanner("broken", new IllegalStateException("x"), true))
                .inputScanner(after)
                .failFast(true).failurePolicy(FailurePolicy.FAIL_OPEN).build()) {
            Verdict v = guard.scanPrompt("x");

            assertThat(v.result("after")).get().extracting(ScanResult::decision).isEqualTo(Decision.PASSED);
            assertThat(v.allowed()).isTrue();
        }
    }

    @Test
    void should_run_every_scanner_when_not_fail_fast() {
        SubstringDetector first = new SubstringDetector("first", "bomb");
        SubstringDetector second = new SubstringDetector("second", "bomb");
        SubstringDetector output = new SubstringDetector("output", "zzz");
        try (Guard guard = Guard.builder().inputScanners(List.of(first, second)).outputScanner(output).build()) {
            Verdict v = guard.scan("bomb", "fine");

            assertThat(v.results()).extracting(ScanResult::decision)
                    .containsExactly(Decision.FLAGGED, Decision.FLAGGED, Decision.PASSED);
            assertThat(v.blockingResults()).hasSize(2);
            assertThat(output.scanCalls).hasValue(1);
        }
    }

    @Test
    void should_flag_input_limits_and_call_no_scanner_when_prompt_is_over_the_limit() {
        SubstringDetector detector = new SubstringDetector("banned", "bomb");
        RedactingSanitizer sanitizer = new RedactingSanitizer("redact", "a");
        try (Guard guard = Guard.builder().inputScanners(List.of(sanitizer, detector))
                .limits(InputLimits.builder().maxPromptChars(10).build()).build()) {
            Verdict v = guard.scanPrompt("a".repeat(11));

            assertThat(v.blocked()).isTrue();
            ScanResult limit = v.firstBlocking().orElseThrow();
            assertThat(limit.scanner()).isEqualTo(InputLimits.SCANNER_NAME).isEqualTo("input-limits");
            assertThat(limit.stage()).isEqualTo(Stage.PROMPT);
            assertThat(limit.decision()).isEqualTo(Decision.FLAGGED);
            assertThat(limit.label()).isEqualTo("max_prompt_chars");
            assertThat(limit.errorMessage()).isNull();
            assertThat(limit.attributes()).containsEntry("limit", "10").containsEntry("actual", "11");
            assertThat(limit.attributes().get("message"))
                    .contains("prompt has 11 chars", "InputLimits.maxPromptChars = 10", "maxPromptChars(...)");
            assertThat(limit.evidence()).singleElement().satisfies(e -> {
                assertThat(e.start()).isEqualTo(10);
                assertThat(e.end()).isEqualTo(11);
                assertThat(e.detail()).isEqualTo(limit.attributes().get("message"));
            });
            assertThat(v.results()).extracting(ScanResult::scanner, ScanResult::decision).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("input-limits", Decision.FLAGGED),
                    org.assertj.core.groups.Tuple.tuple("redact", Decision.SKIPPED),
                    org.assertj.core.groups.Tuple.tuple("banned", Decision.SKIPPED));
            assertThat(v.sanitizedPrompt()).isEqualTo("a".repeat(11));
            assertThat(detector.scanCalls.get() + sanitizer.scanCalls.get()).isZero();
        }
    }

    @Test
    void should_scan_a_prompt_exactly_at_the_limit() {
        SubstringDetector detector = new SubstringDetector("banned", "bomb");
        try (Guard guard = Guard.builder().inputScanner(detector)
                .limits(InputLimits.builder().maxPromptChars(10).build()).build()) {
            Verdict v = guard.scanPrompt("a".repeat(10));

            assertThat(v.allowed()).isTrue();
            assertThat(v.results()).extracting(ScanResult::scanner).containsExactly("banned");
            assertThat(detector.scanCalls).hasValue(1);
        }
    }

    @Test
    void should_flag_output_over_the_limit_and_still_run_the_prompt_stage() {
        SubstringDetector in = new SubstringDetector("in", "zzz");
        SubstringDetector out = new SubstringDetector("out", "zzz");
        try (Guard guard = Guard.builder().inputScanner(in).outputScanner(out)
                .limits(InputLimits.builder().maxOutputChars(3).build()).build()) {
            Verdict v = guard.scan("prompt", "four");

            assertThat(v.results()).extracting(ScanResult::scanner, ScanResult::stage, ScanResult::decision)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("in", Stage.PROMPT, Decision.PASSED),
                            org.assertj.core.groups.Tuple.tuple("input-limits", Stage.OUTPUT, Decision.FLAGGED),
                            org.assertj.core.groups.Tuple.tuple("out", Stage.OUTPUT, Decision.SKIPPED));
            assertThat(v.firstBlocking()).get().extracting(ScanResult::label).isEqualTo("max_output_chars");
            assertThat(out.scanCalls).hasValue(0);
        }
    }

    @Test
    void should_keep_an_over_long_prompt_from_output_scanners_too() {
        SubstringDetector out = new SubstringDetector("out", "zzz");
        try (Guard guard = Guard.builder().outputScanner(out)
                .limits(InputLimits.builder().maxPromptChars(3).build()).build()) {
            Verdict both = guard.scan("four", "ok");
            Verdict outputOnly = guard.scanOutput("four", "ok");

            assertThat(both.results()).extracting(ScanResult::scanner, ScanResult::stage, ScanResult::decision)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("input-limits", Stage.PROMPT, Decision.FLAGGED),
                            org.assertj.core.groups.Tuple.tuple("out", Stage.OUTPUT, Decision.SKIPPED));
            assertThat(outputOnly.results()).extracting(ScanResult::scanner, ScanResult::stage, ScanResult::label)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("input-limits", Stage.OUTPUT, "max_prompt_chars"),
                            org.assertj.core.groups.Tuple.tuple("out", Stage.OUTPUT, null));
            assertThat(out.scanCalls).hasValue(0);
        }
    }

    @Test
    void should_skip_the_prompt_stage_when_fail_fast_and_the_output_is_over_the_limit() {
        SubstringDetector in = new SubstringDetector("in", "zzz");
        try (Guard guard = Guard.builder().inputScanner(in).failFast(true)
                .limits(InputLimits.builder().maxOutputChars(1).build()).build()) {
            Verdict v = guard.scan("p", "too long");

            assertThat(v.result("in")).get().extracting(ScanResult::decision).isEqualTo(Decision.SKIPPED);
            assertThat(in.scanCalls).hasValue(0);
        }
    }

    @Test
    void should_stamp_measured_latency_unless_the_scanner_set_its_own() throws Exception {
        Scanner slow = new RecordingScanner("slow") {
            @Override
            protected ScanResult judge(ScanInput input) {
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return ScanResult.builder(name(), input.stage()).build();
            }
        };
        Scanner selfTimed = new RecordingScanner("self-timed") {
            @Override
            protected ScanResult judge(ScanInput input) {
                return ScanResult.builder(name(), input.stage()).latency(Duration.ofDays(1)).build();
            }
        };
        try (Guard guard = Guard.builder().inputScanner(slow).inputScanner(selfTimed).build()) {
            Verdict v = guard.scanPrompt("x");

            assertThat(v.result("slow").orElseThrow().latency()).isPositive();
            assertThat(v.result("self-timed").orElseThrow().latency()).isEqualTo(Duration.ofDays(1));
            assertThat(v.latency()).isPositive();
        }
    }

    @Test
    void should_stamp_latency_on_error_results() {
        try (Guard guard = Guard.builder().inputScanner(new ThrowingScanner("broken", new IllegalStateException()))
                .build()) {
            assertThat(guard.scanPrompt("x").results().get(0).latency()).isNotNull().isGreaterThanOrEqualTo(Duration.ZERO);
        }
    }

    @Test
    void should_allow_everything_but_limits_with_no_scanners() {
        try (Guard guard = Guard.builder().limits(InputLimits.builder().maxPromptChars(2).build()).build()) {
            assertThat(guard.scan("ok", "fine").allowed()).isTrue();
            assertThat(guard.scan("ok", "fine").results()).isEmpty();
            assertThat(guard.scanPrompt("too long").blocked()).isTrue();
        }
    }

    @Test
    void should_throw_npe_naming_the_parameter_for_null_arguments() {
        try (Guard guard = Guard.builder().build()) {
            assertThatThrownBy(() -> guard.scanPrompt(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("prompt");
            assertThatThrownBy(() -> guard.scanOutput(null, "o")).isInstanceOf(NullPointerException.class)
                    .hasMessage("prompt");
            assertThatThrownBy(() -> guard.scanOutput("p", null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("output");
            assertThatThrownBy(() -> guard.scan(null, "o")).isInstanceOf(NullPointerException.class)
                    .hasMessage("prompt");
            assertThatThrownBy(() -> guard.scan("p", null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("output");
            assertThatThrownBy(() -> guard.scanAll(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("exchanges");
            assertThatThrownBy(() -> guard.scanAll(Arrays.asList(Exchange.promptOnly("a"), null)))
                    .isInstanceOf(NullPointerException.class).hasMessage("exchanges[1]");
        }
    }

    @Test
    void should_not_put_texts_in_verdict_to_string() {
        try (Guard guard = Guard.builder().inputScanner(new SubstringDetector("banned", "bomb")).build()) {
            assertThat(guard.scan("a bomb recipe", "very private answer").toString())
                    .contains("BLOCKED by banned[PROMPT]")
                    .doesNotContain("recipe", "private");
        }
    }
}
