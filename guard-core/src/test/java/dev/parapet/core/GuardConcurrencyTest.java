package dev.parapet.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GuardConcurrencyTest {

    @Test
    void should_run_detectors_in_parallel_on_its_own_executor() {
        CountDownLatch together = new CountDownLatch(2);
        try (Guard guard = Guard.builder()
                .inputScanner(new LatchScanner("a", together))
                .inputScanner(new LatchScanner("b", together))
                .build()) {
            Verdict v = guard.scanPrompt("x");

            assertThat(v.results()).extracting(r -> r.attributes().get("met")).containsExactly("true", "true");
        }
    }

    @Test
    void should_run_detectors_in_parallel_on_a_user_executor_and_leave_it_running() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            CountDownLatch together = new CountDownLatch(3);
            try (Guard guard = Guard.builder()
                    .outputScanners(List.of(new LatchScanner("a", together), new LatchScanner("b", together),
                            new LatchScanner("c", together)))
                    .executor(pool)
                    .build()) {
                Verdict v = guard.scanOutput("p", "o");

                assertThat(v.results()).extracting(r -> r.attributes().get("met"))
                        .containsExactly("true", "true", "true");
            }
            assertThat(pool.isShutdown()).isFalse();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void should_run_detectors_on_the_calling_thread_when_not_parallel() {
        SubstringDetector a = new SubstringDetector("a", "x");
        SubstringDetector b = new SubstringDetector("b", "x");
        try (Guard guard = Guard.builder().inputScanners(List.of(a, b)).parallel(false).build()) {
            guard.scanPrompt("x");
        }
        String caller = Thread.currentThread().getName();
        assertThat(a.threads).containsExactly(caller);
        assertThat(b.threads).containsExactly(caller);
    }

    @Test
    void should_run_detectors_on_the_caller_when_the_executor_rejects_them() {
        SubstringDetector a = new SubstringDetector("a", "x");
        SubstringDetector b = new SubstringDetector("b", "x");
        try (Guard guard = Guard.builder().inputScanners(List.of(a, b))
                .executor(task -> {
                    throw new RejectedExecutionException("full");
                })
                .build()) {
            Verdict v = guard.scanPrompt("x");

            assertThat(v.results()).extracting(ScanResult::decision).containsOnly(Decision.FLAGGED);
        }
        assertThat(b.threads).containsExactly(Thread.currentThread().getName());
    }

    @Test
    void should_not_deadlock_when_called_from_a_thread_of_its_own_executor() throws Exception {
        ExecutorService single = Executors.newSingleThreadExecutor();
        try (Guard guard = Guard.builder()
                .inputScanners(List.of(new SubstringDetector("a", "x"), new SubstringDetector("b", "x")))
                .executor(single)
                .build()) {
            Future<Verdict> v = single.submit(() -> guard.scanPrompt("x"));

            assertThat(v.get(10, TimeUnit.SECONDS).blocked()).isTrue();
        } finally {
            single.shutdownNow();
        }
    }

    @Test
    void should_give_the_same_verdicts_to_16_concurrent_threads_as_to_sequential_calls() throws Exception {
        List<String[]> exchanges = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            String prompt = (i % 3 == 0 ? "my secret " : "hello ") + i + (i % 5 == 0 ? " bomb" : "");
            String output = "answer " + i + (i % 7 == 0 ? " password" : "");
            exchanges.add(new String[] {prompt, output});
        }
        try (Guard guard = Guard.builder()
                .inputScanners(List.of(new RedactingSanitizer("redact", "secret"),
                        new SubstringDetector("banned", "bomb"), new SubstringDetector("masked", "[REDACTED]"),
                        new ThrowingScanner("broken", new IllegalStateException("always"))))
                .outputScanners(List.of(new UppercaseSanitizer("upper"), new SubstringDetector("leak", "PASSWORD"),
                        new SubstringDetector("answer", "ANSWER")))
                .failurePolicy(FailurePolicy.FAIL_OPEN)
                .build()) {
            List<VerdictSignature> expected = new ArrayList<>();
            for (String[] e : exchanges) {
                expected.add(VerdictSignature.of(guard.scan(e[0], e[1])));
            }

            ExecutorService callers = Executors.newFixedThreadPool(16);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<List<VerdictSignature>>> futures = new ArrayList<>();
                for (int t = 0; t < 16; t++) {
                    futures.add(callers.submit(() -> {
                        start.await();
                        List<VerdictSignature> mine = new ArrayList<>();
                        for (String[] e : exchanges) {
                            mine.add(VerdictSignature.of(guard.scan(e[0], e[1])));
                        }
                        return mine;
                    }));
                }
                start.countDown();
                for (Future<List<VerdictSignature>> f : futures) {
                    assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(expected);
                }
            } finally {
                callers.shutdownNow();
            }
        }
    }

    @Test
    void should_close_idempotently_closing_each_scanner_once_even_if_registered_twice() {
        SubstringDetector both = new SubstringDetector("both", "x");
        SubstringDetector other = new SubstringDetector("other", "x");
        Guard guard = Guard.builder().inputScanner(both).outputScanner(both).outputScanner(other).build();

        guard.close();
        guard.close();

        assertThat(guard.isClosed()).isTrue();
        assertThat(both.closeCalls).hasValue(1);
        assertThat(other.closeCalls).hasValue(1);
    }

    @Test
    void should_close_the_other_scanners_when_one_close_throws() {
        Scanner failing = new RecordingScanner("failing") {
            @Override
            protected ScanResult judge(ScanInput input) {
                return ScanResult.builder(name(), input.stage()).build();
            }

            @Override
            public void close() {
                super.close();
                throw new IllegalStateException("close failed");
            }
        };
        SubstringDetector after = new SubstringDetector("after", "x");
        Guard guard = Guard.builder().inputScanner(failing).inputScanner(after).build();

        guard.close();

        assertThat(((RecordingScanner) failing).closeCalls).hasValue(1);
        assertThat(after.closeCalls).hasValue(1);
    }

    @Test
    void should_shut_down_its_own_executor_on_close() {
        Guard guard = Guard.builder()
                .inputScanners(List.of(new SubstringDetector("a", "x"), new SubstringDetector("b", "x")))
                .build();
        ExecutorService own = guard.ownExecutor();

        guard.close();

        assertThat(own.isShutdown()).isTrue();
    }

    @Test
    void should_throw_illegal_state_when_scanning_after_close() {
        Guard guard = Guard.builder().inputScanner(new SubstringDetector("a", "x")).build();
        guard.close();

        assertThatThrownBy(() -> guard.scanPrompt("x")).isInstanceOf(IllegalStateException.class)
                .hasMessage("guard is closed");
        assertThatThrownBy(() -> guard.scanOutput("x", "y")).isInstanceOf(IllegalStateException.class)
                .hasMessage("guard is closed");
        assertThatThrownBy(() -> guard.scan("x", "y")).isInstanceOf(IllegalStateException.class)
                .hasMessage("guard is closed");
        assertThatThrownBy(() -> guard.scanAll(List.of(Exchange.promptOnly("x"))))
                .isInstanceOf(IllegalStateException.class).hasMessage("guard is closed");
        assertThatThrownBy(() -> guard.scanAll(List.of())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void should_let_an_in_flight_scan_finish_before_closing_its_scanners() throws Exception {
        GateScanner gate = new GateScanner("gate");
        Guard guard = Guard.builder().inputScanner(gate).build();
        AtomicReference<Verdict> verdict = new AtomicReference<>();
        Thread scanning = new Thread(() -> verdict.set(guard.scanPrompt("x")), "scanning");
        Thread closing = new Thread(guard::close, "closing");

        scanning.start();
        assertThat(gate.entered.await(10, TimeUnit.SECONDS)).isTrue();
        closing.start();
        awaitState(closing, Thread.State.WAITING);

        assertThat(gate.closeCalls).as("closed under a running scan").hasValue(0);
        gate.release.countDown();
        scanning.join(10_000);
        closing.join(10_000);

        assertThat(verdict.get()).isNotNull();
        assertThat(verdict.get().allowed()).isTrue();
        assertThat(verdict.get().results()).singleElement().extracting(ScanResult::decision)
                .isEqualTo(Decision.PASSED);
        assertThat(gate.closeCalls).hasValue(1);
        assertThatThrownBy(() -> guard.scanPrompt("x")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void should_refuse_close_from_inside_its_own_scan() {
        AtomicReference<Guard> self = new AtomicReference<>();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Scanner closer = new RecordingScanner("closer") {
            @Override
            protected ScanResult judge(ScanInput input) {
                try {
                    self.get().close();
                } catch (Throwable t) {
                    thrown.set(t);
                }
                return ScanResult.builder(name(), input.stage()).build();
            }
        };
        try (Guard guard = Guard.builder().inputScanner(closer).build()) {
            self.set(guard);
            guard.scanPrompt("x");

            assertThat(thrown.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("inside a scan");
            assertThat(guard.isClosed()).isFalse();
        }
    }

    /** Polls until {@code t} parks (it waits for the lifecycle lock); fails rather than hangs. */
    private static void awaitState(Thread t, Thread.State state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.getState() != state) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(t.getName() + " never reached " + state + ", is " + t.getState());
            }
            Thread.sleep(1);
        }
    }
}
