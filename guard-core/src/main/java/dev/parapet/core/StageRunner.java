package dev.parapet.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.stream.IntStream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the scanners of one stage over the exchanges of one guard call: sanitizers one after
 * another in declared order, each seeing the text the previous one left, then the detectors on the
 * final text, in parallel when an executor is given. Every scanner slot of every exchange ends up
 * with exactly one result, whatever the scanners do.
 */
final class StageRunner {
    private static final Logger log = LoggerFactory.getLogger(Guard.class);

    private final Stage stage;
    private final List<RegisteredScanner> scanners;
    private final int[] sanitizers;
    private final int[] detectors;
    private final FailurePolicy policy;
    private final boolean failFast;
    private final Executor executor;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    /** @param executor where detectors run in parallel, or {@code null} to run them on the calling thread */
    /** Per scanner call, or null for none. */
    private final Duration timeout;

    StageRunner(Stage stage, List<RegisteredScanner> scanners, FailurePolicy policy, boolean failFast,
                Executor executor, Duration timeout) {
        this.timeout = timeout;
        this.stage = stage;
        this.scanners = List.copyOf(scanners);
        this.sanitizers = indexes(this.scanners, true);
        this.detectors = indexes(this.scanners, false);
        this.policy = policy;
        this.failFast = failFast;
        this.executor = executor;
    }

    private static int[] indexes(List<RegisteredScanner> scanners, boolean sanitizer) {
        return IntStream.range(0, scanners.size())
                .filter(i -> scanners.get(i).sanitizer() == sanitizer)
                .toArray();
    }

    /**
     * @param items the call's exchanges that include this stage
     * @param batch whether to call {@link Scanner#scanAll} once per scanner (else {@link Scanner#scan}
     *              for the single exchange)
     */
    void run(List<PendingVerdict> items, boolean batch) {
        if (scanners.isEmpty() || items.isEmpty()) {
            return;
        }
        List<PendingVerdict> eligible = new ArrayList<>(items.size());
        for (PendingVerdict item : items) {
            if (item.withinLimits(stage)) {
                eligible.add(item);
            } else {
                skipAll(item);
            }
        }
        if (!eligible.isEmpty()) {
            for (int i : sanitizers) {
                runScanner(i, eligible, batch);
            }
            if (executor != null && detectors.length >= 2) {
                runDetectorsInParallel(eligible, batch);
            } else {
                for (int i : detectors) {
                    runScanner(i, eligible, batch);
                }
            }
        }
        fillGaps(items);
    }

    private void skipAll(PendingVerdict item) {
        ScanResult[] slots = item.results(stage);
        for (int i = 0; i < slots.length; i++) {
            slots[i] = ScanResult.skipped(scanners.get(i).name(), stage);
        }
    }

    private void runDetectorsInParallel(List<PendingVerdict> eligible, boolean batch) {
        DetectorTask[] tasks = new DetectorTask[detectors.length];
        for (int t = 0; t < tasks.length; t++) {
            int index = detectors[t];
            tasks[t] = new DetectorTask(() -> runScanner(index, eligible, batch));
        }
        // The caller keeps the first detector for itself: one hand-off fewer, and it would wait anyway.
        for (int t = 1; t < tasks.length; t++) {
            try {
                executor.execute(tasks[t]);
            } catch (RuntimeException e) {
                // Rejected (shut down, bounded queue full) or a broken user executor: the loop below
                // claims the task, so the scan still completes, only less parallel.
                log.debug("executor refused a {}-stage detector; running it on the calling thread", stage, e);
            }
        }
        for (DetectorTask task : tasks) {
            task.run();
        }
        Throwable fatal = null;
        for (DetectorTask task : tasks) {
            task.awaitDone();
            if (fatal == null) {
                fatal = task.fatal();
            }
        }
        if (fatal instanceof Error e) {
            throw e;
        }
        if (fatal instanceof RuntimeException e) {
            throw e;
        }
        if (fatal != null) {
            throw new ParapetException("a " + stage + "-stage detector task failed", fatal);
        }
    }

    private void runScanner(int index, List<PendingVerdict> eligible, boolean batch) {
        RegisteredScanner s = scanners.get(index);
        List<PendingVerdict> live = new ArrayList<>(eligible.size());
        for (PendingVerdict item : eligible) {
            if (failFast && item.blocked()) {
                item.results(stage)[index] = ScanResult.skipped(s.name(), stage);
            } else {
                live.add(item);
            }
        }
        if (live.isEmpty()) {
            return;
        }
        List<ScanResult> results;
        if (batch) {
            List<ScanInput> inputs = new ArrayList<>(live.size());
            for (PendingVerdict item : live) {
                inputs.add(item.input(stage));
            }
            results = callScanAll(s, Collections.unmodifiableList(inputs));
        } else {
            results = new ArrayList<>(live.size());
            for (PendingVerdict item : live) {
                results.add(callScan(s, item.input(stage)));
            }
        }
        for (int k = 0; k < live.size(); k++) {
            PendingVerdict item = live.get(k);
            ScanResult r = results.get(k);
            item.results(stage)[index] = r;
            // Detectors run side by side on the same text, so only a sanitizer's rewrite can flow on;
            // a failed sanitizer's half-done text is not trusted.
            if (s.sanitizer() && r.sanitizedText() != null && r.decision() != Decision.ERROR) {
                item.text(stage, r.sanitizedText());
            }
            if (Verdict.blocks(r, policy)) {
                item.markBlocked();
            }
        }
    }

    private ScanResult callScan(RegisteredScanner s, ScanInput input) {
        long start = System.nanoTime();
        ScanResult r;
        try {
            if (timeout != null) {
                ScanDeadline.enter(timeout);
            }
            r = s.scanner().scan(input);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            return failed(s, t, elapsedSince(start));
        } finally {
            if (timeout != null) {
                ScanDeadline.exit();
            }
        }
        Duration took = elapsedSince(start);
        if (late(took) && r != null && r.decision() != Decision.ERROR) {
            return timedOut(s, took);
        }
        return checked(s, r, took, "scan");
    }

    private boolean late(Duration took) {
        return timeout != null && took.compareTo(timeout) > 0;
    }

    /** A result that came back after the budget is not trusted to be on time: the policy decides. */
    private ScanResult timedOut(RegisteredScanner s, Duration took) {
        String message = "scanner '" + s.name() + "' took " + took.toMillis() + " ms, over its time budget of "
                + timeout.toMillis() + " ms (Guard.Builder.scannerTimeout)";
        return failed(s, new ScanTimeoutException(message), took, message);
    }

    private List<ScanResult> callScanAll(RegisteredScanner s, List<ScanInput> inputs) {
        long start = System.nanoTime();
        List<ScanResult> rs;
        // A batch gets the budget of one call per input: the guard's promise is per text.
        Duration batchBudget = timeout == null ? null : timeout.multipliedBy(inputs.size());
        try {
            if (batchBudget != null) {
                ScanDeadline.enter(batchBudget);
            }
            rs = s.scanner().scanAll(inputs);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            // The scanner judged the inputs together; each gets an equal share of the call's time.
            return repeat(failed(s, t, elapsedSince(start).dividedBy(inputs.size())), inputs.size());
        } finally {
            if (batchBudget != null) {
                ScanDeadline.exit();
            }
        }
        if (batchBudget != null && elapsedSince(start).compareTo(batchBudget) > 0) {
            return repeat(timedOut(s, elapsedSince(start).dividedBy(inputs.size())), inputs.size());
        }
        Duration share = elapsedSince(start).dividedBy(inputs.size());
        String problem = null;
        if (rs == null) {
            problem = "scanner '" + s.name() + "' returned null from scanAll(...)";
        } else if (rs.size() != inputs.size()) {
            problem = "scanner '" + s.name() + "' returned " + rs.size() + " results from scanAll(...) for "
                    + inputs.size() + " inputs";
        }
        if (problem != null) {
            return repeat(failed(s, new ParapetException(problem), share, problem), inputs.size());
        }
        List<ScanResult> out = new ArrayList<>(inputs.size());
        for (ScanResult r : rs) {
            out.add(checked(s, r, share, "scanAll"));
        }
        return out;
    }

    private static List<ScanResult> repeat(ScanResult result, int times) {
        return new ArrayList<>(Collections.nCopies(times, result));
    }

    private ScanResult failed(RegisteredScanner s, Throwable t, Duration latency) {
        return failed(s, t, latency, t.getClass().getName());
    }

    /** @param loggable what may be logged at WARN: never a scanner's own message, which may quote the text */
    private ScanResult failed(RegisteredScanner s, Throwable t, Duration latency, String loggable) {
        if (t instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        // Exception messages may quote the text they choked on: only the type at WARN. A broken
        // scanner fails on every call and every result says so; one WARN per scanner is enough.
        if (warned.add(s.name())) {
            log.warn("scanner '{}' ({} stage) failed: {}; reported as an ERROR result (further failures "
                    + "of this scanner are logged at DEBUG)", s.name(), stage, loggable);
        }
        log.debug("scanner '{}' ({} stage) failure", s.name(), stage, t);
        return ScanResult.error(s.name(), stage, t, latency);
    }

    private ScanResult checked(RegisteredScanner s, ScanResult r, Duration latency, String method) {
        String problem = null;
        if (r == null) {
            problem = "scanner '" + s.name() + "' returned null from " + method + "(...)";
        } else if (!r.scanner().equals(s.name())) {
            problem = "scanner '" + s.name() + "' returned a result named '" + r.scanner() + "'";
        } else if (r.stage() != stage) {
            problem = "scanner '" + s.name() + "' returned a result for stage " + r.stage()
                    + " while registered for stage " + stage;
        }
        if (problem != null) {
            // The guard wrote this message and it names no text, so it can be logged as it is.
            return failed(s, new ParapetException(problem), latency, problem);
        }
        return r.latency().isZero() ? r.withLatency(latency) : r;
    }

    /** The last line of "no result is ever lost": a slot nothing filled becomes an ERROR, not a gap. */
    private void fillGaps(List<PendingVerdict> items) {
        for (PendingVerdict item : items) {
            ScanResult[] slots = item.results(stage);
            for (int i = 0; i < slots.length; i++) {
                if (slots[i] == null) {
                    slots[i] = ScanResult.error(scanners.get(i).name(), stage,
                            new ParapetException("guard produced no result for scanner '" + scanners.get(i).name()
                                    + "'; this is a bug in Parapet"), Duration.ZERO);
                }
            }
        }
    }

    private static Duration elapsedSince(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }
}
