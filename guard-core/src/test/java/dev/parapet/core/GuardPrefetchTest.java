package dev.parapet.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

/** {@link Scanner#prefetch}: who gets which hint, on which thread, and when there is none. */
class GuardPrefetchTest {

    /** A detector that passes everything and records its hints. */
    static final class HintRecorder implements Scanner {
        final String name;
        final List<ScanInput> hints = new CopyOnWriteArrayList<>();
        final List<String> hintThreads = new CopyOnWriteArrayList<>();
        volatile boolean throwOnHint;

        HintRecorder(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void prefetch(ScanInput input) {
            hints.add(input);
            hintThreads.add(Thread.currentThread().getName());
            if (throwOnHint) {
                throw new IllegalStateException("hint failed");
            }
        }

        @Override
        public ScanResult scan(ScanInput input) {
            return ScanResult.builder(name, input.stage()).decision(Decision.PASSED).score(0).build();
        }
    }

    private static Guard guard(HintRecorder prompt, HintRecorder out1, HintRecorder out2, boolean failFast) {
        return Guard.builder().inputScanner(prompt).outputScanner(out1).outputScanner(out2).failFast(failFast).build();
    }

    @Test
    void should_hint_each_scanner_with_the_input_of_its_stage_and_the_stages_on_different_threads() {
        HintRecorder p = new HintRecorder("p");
        HintRecorder o1 = new HintRecorder("o1");
        HintRecorder o2 = new HintRecorder("o2");
        try (Guard guard = guard(p, o1, o2, false)) {
            Verdict v = guard.scan("what is 2 + 2?", "4");
            assertThat(v.allowed()).isTrue();
        }
        assertThat(p.hints).singleElement().satisfies(in -> {
            assertThat(in.stage()).isEqualTo(Stage.PROMPT);
            assertThat(in.text()).isEqualTo("what is 2 + 2?");
        });
        for (HintRecorder o : List.of(o1, o2)) {
            assertThat(o.hints).singleElement().satisfies(in -> {
                assertThat(in.stage()).isEqualTo(Stage.OUTPUT);
                assertThat(in.prompt()).isEqualTo("what is 2 + 2?");
                assertThat(in.output()).isEqualTo("4");
            });
            assertThat(o.hintThreads).containsExactly(Thread.currentThread().getName());
        }
        // the prompt hints went to the guard's executor (or, if it was slow to start, this thread)
        assertThat(p.hintThreads).hasSize(1);
    }

    @Test
    void should_not_hint_without_two_texts_to_overlap() {
        HintRecorder p = new HintRecorder("p");
        HintRecorder o1 = new HintRecorder("o1");
        HintRecorder o2 = new HintRecorder("o2");
        try (Guard guard = guard(p, o1, o2, false)) {
            guard.scanPrompt("only a prompt");
            guard.scanOutput("a prompt", "an output");
            guard.scan("a prompt", "   ");
            guard.scan("", "an output");
            guard.scanAll(List.of(new Exchange("a", "b"), new Exchange("c", "d")));
        }
        assertThat(p.hints).isEmpty();
        assertThat(o1.hints).isEmpty();
        assertThat(o2.hints).isEmpty();
    }

    @Test
    void should_not_hint_with_fail_fast_over_limits_with_a_sanitizer_or_when_turned_off() {
        HintRecorder p = new HintRecorder("p");
        HintRecorder o1 = new HintRecorder("o1");
        HintRecorder o2 = new HintRecorder("o2");
        try (Guard guard = guard(p, o1, o2, true)) {
            guard.scan("a prompt", "an output");
        }
        try (Guard guard = Guard.builder().inputScanner(p).outputScanner(o1).outputScanner(o2).prefetch(false).build()) {
            guard.scan("a prompt", "an output");
        }
        try (Guard guard = Guard.builder().inputScanner(p).outputScanner(o1).outputScanner(o2)
                .limits(InputLimits.builder().maxOutputChars(5).build()).build()) {
            guard.scan("a prompt", "an output longer than five");
        }
        assertThat(p.hints).isEmpty();
        assertThat(o1.hints).isEmpty();

        try (Guard guard = Guard.builder().inputScanner(new SubstringDetector("rule", "bomb")).outputScanner(o1).outputScanner(o2).build()) {
            guard.scan("a prompt", "an output");
        }
        assertThat(o1.hints).as("no prompt scanner takes hints: nothing to overlap, no hand-off").isEmpty();

        HintRecorder q = new HintRecorder("q");
        HintRecorder r1 = new HintRecorder("r1");
        HintRecorder r2 = new HintRecorder("r2");
        try (Guard guard = Guard.builder().inputScanner(new UppercaseSanitizer("upper")).inputScanner(q)
                .outputScanner(r1).outputScanner(r2).build()) {
            guard.scan("a prompt", "an output");
        }
        assertThat(q.hints).as("the prompt stage has a sanitizer: its detectors judge another text").isEmpty();
        assertThat(r1.hints).hasSize(1);
    }

    @Test
    void should_ignore_a_failing_hint_and_still_scan() {
        HintRecorder p = new HintRecorder("p");
        HintRecorder o1 = new HintRecorder("o1");
        HintRecorder o2 = new HintRecorder("o2");
        p.throwOnHint = true;
        o1.throwOnHint = true;
        try (Guard guard = guard(p, o1, o2, false)) {
            Verdict v = guard.scan("a prompt", "an output");
            assertThat(v.allowed()).isTrue();
            assertThat(v.results()).extracting(ScanResult::decision).containsOnly(Decision.PASSED);
        }
        assertThat(o2.hints).as("a failing hint does not stop the others").hasSize(1);
    }
}
