package dev.parapet.reliability;

import dev.parapet.core.Guard;
import dev.parapet.core.Verdict;
import dev.parapet.models.DefaultModels;
import dev.parapet.reliability.Workload.Call;
import dev.parapet.reliability.Workload.Kind;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 9, item 3, scaled for the default suite (32 threads x 100 calls and 32 x 3); the full 32 x
 * 5,000 run is {@link ConcurrencyStress}. "Identical" is exact: every score compared bit for bit.
 */
class ConcurrencyTest {
    static final int THREADS = 32;

    /** Runs {@code callsPerThread} calls on each of {@link #THREADS} threads, all released at once; thread t starts at call 7t. */
    static List<List<String>> concurrently(Guard guard, List<Call> calls, int callsPerThread) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<String>>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int offset = 7 * t;
                futures.add(pool.submit(() -> {
                    go.await();
                    List<String> out = new ArrayList<>(callsPerThread);
                    for (int k = 0; k < callsPerThread; k++) {
                        out.add(Workload.fingerprint(calls.get((offset + k) % calls.size()).run(guard)));
                    }
                    return out;
                }));
            }
            go.countDown();
            List<List<String>> results = new ArrayList<>();
            for (Future<List<String>> f : futures) {
                results.add(f.get(10, TimeUnit.MINUTES));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    static void assertSameAsSequential(List<Call> calls, List<String> sequential, List<List<String>> concurrent) {
        for (int t = 0; t < concurrent.size(); t++) {
            List<String> got = concurrent.get(t);
            for (int k = 0; k < got.size(); k++) {
                int call = (7 * t + k) % calls.size();
                assertThat(got.get(k)).as("thread %d, call %d (%s)", t, k, calls.get(call).kind()).isEqualTo(sequential.get(call));
            }
        }
    }

    @Test
    void should_give_32_threads_the_results_of_sequential_calls_on_the_default_guard() throws Exception {
        DefaultModels models = SharedModels.get();
        // scanOutput is left out here: see the disabled test below
        List<Call> calls = Workload.calls(48, EnumSet.of(Kind.PROMPT, Kind.EXCHANGE), 6, 1);
        List<String> sequential = new ArrayList<>();
        try (Guard guard = Guards.defaults(models).build()) {
            for (Call c : calls) {
                sequential.add(Workload.fingerprint(c.run(guard)));
            }
        }
        // a fresh guard, so the threads race for every first encoding instead of reading a warm memo
        try (Guard guard = DefaultModels.guard()) {
            assertSameAsSequential(calls, sequential, concurrently(guard, calls, 100));
        }
    }

    @Test
    void should_give_32_threads_the_results_of_sequential_calls_when_every_call_runs_the_model() throws Exception {
        List<Call> calls = Workload.calls(24, EnumSet.allOf(Kind.class), 12, 2);
        try (Guard guard = Guards.withoutMemo(SharedModels.get())) {
            List<String> sequential = new ArrayList<>();
            for (Call c : calls) {
                sequential.add(Workload.fingerprint(c.run(guard)));
            }
            assertSameAsSequential(calls, sequential, concurrently(guard, calls, 3));
        }
    }

    @Test
    void should_let_calls_in_flight_finish_or_fail_cleanly_when_the_guard_closes() throws Exception {
        Guard guard = Guards.withoutMemo(SharedModels.get());
        AtomicInteger verdicts = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        List<Throwable> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean started = new AtomicBoolean();
        CountDownLatch running = new CountDownLatch(8);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            for (int t = 0; t < 16; t++) {
                int thread = t;
                pool.submit(() -> {
                    running.countDown();
                    for (int k = 0; ; k++) {
                        try {
                            String text = HostileCorpus.prose(k % 3 == 0 ? 2_000 : 120, thread * 10_000L + k);
                            Verdict v = k % 2 == 0 ? guard.scanPrompt(text) : guard.scan("Tell me something.", text);
                            assertThat(v.results()).isNotEmpty();
                            verdicts.incrementAndGet();
                            started.set(true);
                        } catch (IllegalStateException e) {
                            if (String.valueOf(e.getMessage()).contains("closed")) {
                                refused.incrementAndGet();
                                return;
                            }
                            unexpected.add(e);
                            return;
                        } catch (Throwable e) {
                            unexpected.add(e);
                            return;
                        }
                    }
                });
            }
            running.await();
            while (!started.get()) {
                Thread.sleep(10);
            }
            Thread.sleep(300);
            Thread closer = new Thread(guard::close);
            closer.start();
            guard.close(); // two closes at once: both return, the scanners are closed once
            closer.join(TimeUnit.MINUTES.toMillis(5));
            assertThat(closer.isAlive()).isFalse();
            pool.shutdown();
            assertThat(pool.awaitTermination(5, TimeUnit.MINUTES)).isTrue();
        } finally {
            pool.shutdownNow();
        }
        assertThat(unexpected).isEmpty();
        assertThat(refused.get()).as("every thread ends on the closed guard's IllegalStateException").isEqualTo(16);
        assertThat(verdicts.get()).isPositive();
        assertThat(guard.isClosed()).isTrue();
        assertThatThrownBy(() -> guard.scanPrompt("after close")).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> guard.scan("a", "b")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> guard.streamOutput("a")).isInstanceOf(IllegalStateException.class);
        // the ONNX session is shared and reference counted: other guards on it keep working
        try (Guard other = Guards.defaults(SharedModels.get()).build()) {
            assertThat(other.scanPrompt("Still here?").results()).hasSize(1);
        }
    }

    /**
     * Was a race in the default guard (docs/reliability.md): the preference scanner encodes (prompt,
     * output) in one encoder call, toxicity and refusal encode the output alone, the shared memo
     * keeps whichever came first, and the dynamically quantized encoder gave a batch of two other
     * numbers than a batch of one (20 of 20 exchanges differed, e.g. 0.1019 vs 0.0966). Each text
     * now runs in ONNX runs of its own (RuntimeOptions.batchAcrossTexts off), so the order no longer
     * matters. Here the order is fixed: sequential detectors, preference first in one guard,
     * toxicity first in the other.
     */
    @Test
    void should_score_a_text_the_same_whichever_scanner_encodes_it_first() {
        try (DefaultModels one = DefaultModels.load(); DefaultModels two = DefaultModels.load();
             Guard toxicityFirst = Guard.builder().parallel(false)
                     .outputScanner(one.toxicityScanner().build()).outputScanner(one.preferenceScanner().build()).build();
             Guard preferenceFirst = Guard.builder().parallel(false)
                     .outputScanner(two.preferenceScanner().build()).outputScanner(two.toxicityScanner().build()).build()) {
            for (int i = 0; i < 20; i++) {
                String prompt = "Question " + i + ": what is the capital of country " + (i * 7) + "?";
                String output = "The capital is city " + i + ", a lovely place with " + (i * 3) + " museums.";
                assertThat(preferenceFirst.scanOutput(prompt, output).result("toxicity").orElseThrow().score())
                        .as("exchange %d", i)
                        .isEqualTo(toxicityFirst.scanOutput(prompt, output).result("toxicity").orElseThrow().score());
            }
        }
    }
}
