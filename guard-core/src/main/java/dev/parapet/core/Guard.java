package dev.parapet.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a fixed set of {@link Scanner}s over prompts and outputs and returns one {@link Verdict} per
 * exchange. Build one with {@link #builder()}, share it across threads, {@link #close()} it once.
 *
 * <pre>{@code
 * try (Guard guard = Guard.builder()
 *         .inputScanner(promptInjection)
 *         .outputScanner(toxicity)
 *         .build()) {
 *     Verdict before = guard.scanPrompt(prompt);
 *     if (before.blocked()) { ... }
 *     String answer = llm.chat(before.sanitizedPrompt());
 *     Verdict after = guard.scanOutput(before.sanitizedPrompt(), answer);
 * }
 * }</pre>
 *
 * <h2>The path of one call</h2>
 * <ol>
 *   <li><b>Limits.</b> Every text is checked against the {@link InputLimits} first. A text over
 *       its limit reaches no scanner: the verdict gets a {@link Decision#FLAGGED} result named
 *       {@value InputLimits#SCANNER_NAME} (label {@value InputLimits#PROMPT_LABEL} or
 *       {@value InputLimits#OUTPUT_LABEL}, attributes {@code limit}, {@code actual} and
 *       {@code message}, evidence spanning the part past the limit), the scanners that would have
 *       seen that text are {@link Decision#SKIPPED}, and the verdict is blocked. Output-stage
 *       scanners read the prompt as context, so an over-long prompt skips them too.</li>
 *   <li><b>Sanitizers</b> ({@link Scanner#isSanitizer()}) run one after another in declared order;
 *       a non-null {@link ScanResult#sanitizedText()} replaces the text for every later scanner and
 *       becomes the verdict's sanitized text. An ERROR result's text is ignored.</li>
 *   <li><b>Detectors</b> all judge the final text, declared before or after the sanitizers. With
 *       two or more in a stage and {@code parallel(true)}, they run at once on the executor, the
 *       calling thread taking part. A detector's {@code sanitizedText} does not flow anywhere.</li>
 *   <li><b>Stages.</b> {@link #scan(String, String)} runs the prompt stage, then the output stage,
 *       whose scanners get the <em>sanitized</em> prompt as context.</li>
 * </ol>
 *
 * <h2>Failures</h2>
 * A scanner that throws (anything but a {@link VirtualMachineError}, which propagates), returns
 * {@code null}, returns a result under another scanner's name or stage, or returns the wrong number
 * of results from {@link Scanner#scanAll} gets a {@link Decision#ERROR} result in its place; the
 * {@link FailurePolicy} decides whether that blocks. The guard itself throws only for caller errors:
 * {@code null} arguments ({@link NullPointerException} naming the parameter), a batch over
 * {@link InputLimits#maxBatchExchanges()} ({@link IllegalArgumentException}) and calls after
 * {@link #close()} ({@link IllegalStateException}). Caveat: under {@link FailurePolicy#FAIL_OPEN} a
 * failed sanitizer leaves its text unsanitized and the verdict may still be allowed.
 *
 * <h2>failFast</h2>
 * With {@code failFast(true)}, once a result blocks an exchange, every scanner not yet started for
 * that exchange is reported {@link Decision#SKIPPED} instead of run, output stage included.
 * Detectors already running in parallel finish and keep their results, so which detectors are
 * SKIPPED can differ from call to call; without {@code failFast} every scanner runs and verdicts are
 * deterministic for deterministic scanners.
 *
 * <h2>Latency</h2>
 * Each result's {@link ScanResult#latency()} is the time measured around its scanner call, unless
 * the scanner set a non-zero one itself; in {@link #scanAll} it is the scanner's batch time divided
 * by the exchanges in the batch. {@link Verdict#latency()} is the whole call's wall time.
 *
 * <h2>Threads and lifecycle</h2>
 * A built guard is immutable and thread-safe; any number of threads may scan at once.
 * {@link #close()} waits for in-flight scans to finish, then closes every scanner once and the
 * guard's own executor; scans that start after it throw {@link IllegalStateException}. Scanning
 * threads that are interrupted keep waiting for their detectors (a half-finished scan must not race
 * a close) and return with their interrupt status set.
 *
 * <h2>Privacy</h2>
 * Prompt and output text are never logged at INFO or above, and {@link Verdict#toString()} omits
 * them; a scanner's failure is logged at WARN by exception type only, since exception messages may
 * quote the text.
 */
public final class Guard implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Guard.class);

    private final List<Scanner> inputScanners;
    private final List<Scanner> outputScanners;
    private final InputLimits limits;
    private final FailurePolicy failurePolicy;
    private final boolean failFast;
    private final boolean prefetch;
    private final java.time.Duration scannerTimeout;
    /** Where the prompt scanners' {@link Scanner#prefetch} hints run; null: no prefetch (no executor, or no stage pair that uses hints). */
    private final Executor prefetchExecutor;
    private final boolean parallel;
    private final StageRunner promptRunner;
    private final StageRunner outputRunner;
    /** The executor the guard made and so must shut down; {@code null} when it uses the caller's or none. */
    private final ExecutorService ownExecutor;

    // Scans hold the read lock for their whole call and close takes the write lock, so close waits for
    // in-flight scans and no scanner is closed under a running scan (for ONNX sessions, a use-after-free).
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private Guard(Builder b) {
        List<RegisteredScanner> in = List.copyOf(b.inputScanners);
        List<RegisteredScanner> out = List.copyOf(b.outputScanners);
        this.inputScanners = in.stream().map(RegisteredScanner::scanner).toList();
        this.outputScanners = out.stream().map(RegisteredScanner::scanner).toList();
        this.limits = b.limits;
        this.failurePolicy = b.failurePolicy;
        this.failFast = b.failFast;
        this.prefetch = b.prefetch;
        this.scannerTimeout = b.scannerTimeout;
        this.parallel = b.parallel;

        int mostDetectors = Math.max(detectorCount(in), detectorCount(out));
        Executor executor = null;
        ExecutorService own = null;
        if (b.parallel && mostDetectors >= 2) {
            if (b.executor != null) {
                executor = b.executor;
            } else {
                // The calling thread runs one detector itself, so a stage needs at most n - 1 helpers;
                // more threads than cores would only contend with the models' own intra-op threads.
                int threads = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), mostDetectors - 1));
                own = DetectorPool.create(threads);
                executor = own;
            }
        }
        this.ownExecutor = own;
        // Hints only pay when both stages have a scanner that uses them: then the two texts'
        // shared work overlaps. Otherwise a scan should not pay for a hand-off to the executor.
        this.prefetchExecutor = takesHints(inputScanners) && takesHints(outputScanners) ? executor : null;
        this.promptRunner = new StageRunner(Stage.PROMPT, in, failurePolicy, failFast, executor, b.scannerTimeout);
        this.outputRunner = new StageRunner(Stage.OUTPUT, out, failurePolicy, failFast, executor, b.scannerTimeout);
        log.debug("built {}", this);
    }

    private static int detectorCount(List<RegisteredScanner> scanners) {
        return (int) scanners.stream().filter(s -> !s.sanitizer()).count();
    }

    /** A builder with no scanners, default limits, {@code FAIL_CLOSED}, no failFast, parallel detectors. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs the prompt-stage scanners on {@code prompt}.
     *
     * @return a verdict whose {@link Verdict#sanitizedOutput()} is {@code null}
     * @throws NullPointerException  if {@code prompt} is null
     * @throws IllegalStateException if the guard is closed
     */
    public Verdict scanPrompt(String prompt) {
        Objects.requireNonNull(prompt, "prompt");
        return runOne(new PendingVerdict(prompt, null, true, false, inputScanners.size(), outputScanners.size()));
    }

    /**
     * Runs the output-stage scanners on {@code output}, with {@code prompt} as their context (pass
     * the prompt that was actually sent, e.g. {@link Verdict#sanitizedPrompt()}). The prompt is held
     * to {@link InputLimits#maxPromptChars()} too, reported under the output stage.
     *
     * @throws NullPointerException  if {@code prompt} or {@code output} is null
     * @throws IllegalStateException if the guard is closed
     */
    public Verdict scanOutput(String prompt, String output) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(output, "output");
        return runOne(new PendingVerdict(prompt, output, false, true, inputScanners.size(), outputScanners.size()));
    }

    /**
     * Runs the prompt stage on {@code prompt}, then the output stage on {@code output} with the
     * sanitized prompt as context; one verdict covers both. Without {@code failFast} the output
     * stage runs even when the prompt stage blocked, so the verdict reports everything.
     *
     * @throws NullPointerException  if {@code prompt} or {@code output} is null
     * @throws IllegalStateException if the guard is closed
     */
    public Verdict scan(String prompt, String output) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(output, "output");
        return runOne(new PendingVerdict(prompt, output, true, true, inputScanners.size(), outputScanners.size()));
    }

    /**
     * Scans many exchanges, calling each scanner's {@link Scanner#scanAll} once per stage over all
     * of them so model scanners can batch; an exchange whose output is {@code null} gets only the
     * prompt stage. Verdicts come back in the order of {@code exchanges} and, without
     * {@code failFast}, equal what {@link #scan} and {@link #scanPrompt} return one by one (up to
     * latencies) for scanners whose {@code scanAll} agrees with their {@code scan}.
     *
     * <p>Caveats: exchanges over a text limit, and with {@code failFast} exchanges already blocked,
     * are left out of the lists later scanners receive; a scanner that has no exchange left to judge
     * is not called. If a scanner's {@code scanAll} throws, every exchange in that call gets the
     * ERROR result.
     *
     * @throws NullPointerException     if {@code exchanges} or one of its elements is null
     * @throws IllegalArgumentException if there are more than {@link InputLimits#maxBatchExchanges()}
     * @throws IllegalStateException    if the guard is closed
     */
    public List<Verdict> scanAll(List<Exchange> exchanges) {
        Objects.requireNonNull(exchanges, "exchanges");
        String tooMany = limits.checkBatch(exchanges.size());
        if (tooMany != null) {
            throw new IllegalArgumentException(tooMany);
        }
        List<PendingVerdict> items = new ArrayList<>(exchanges.size());
        for (int i = 0; i < exchanges.size(); i++) {
            int index = i;
            Exchange e = Objects.requireNonNull(exchanges.get(i), () -> "exchanges[" + index + "]");
            boolean hasOutput = e.output() != null;
            items.add(new PendingVerdict(e.prompt(), e.output(), true, hasOutput,
                    inputScanners.size(), outputScanners.size()));
        }
        if (items.isEmpty()) {
            ensureOpen();
            return List.of();
        }
        return run(items, true);
    }

    /**
     * Starts scanning an output that arrives as a stream of deltas, judged sentence by sentence
     * with {@code prompt} as context; see {@link StreamingScan} for the semantics.
     *
     * @throws NullPointerException  if {@code prompt} is null
     * @throws IllegalStateException if the guard is closed
     */
    public StreamingScan streamOutput(String prompt) {
        Objects.requireNonNull(prompt, "prompt");
        ensureOpen();
        return new StreamingScan(this, prompt);
    }

    /** {@link #scanPrompt} on {@code executor}; failures complete the future exceptionally. */
    public java.util.concurrent.CompletableFuture<Verdict> scanPromptAsync(String prompt, java.util.concurrent.Executor executor) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(executor, "executor");
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> scanPrompt(prompt), executor);
    }

    /** {@link #scanOutput} on {@code executor}; failures complete the future exceptionally. */
    public java.util.concurrent.CompletableFuture<Verdict> scanOutputAsync(String prompt, String output, java.util.concurrent.Executor executor) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(executor, "executor");
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> scanOutput(prompt, output), executor);
    }

    /** {@link #scan} on {@code executor}; failures complete the future exceptionally. */
    public java.util.concurrent.CompletableFuture<Verdict> scanAsync(String prompt, String output, java.util.concurrent.Executor executor) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(executor, "executor");
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> scan(prompt, output), executor);
    }

    private Verdict runOne(PendingVerdict item) {
        return run(List.of(item), false).get(0);
    }

    private List<Verdict> run(List<PendingVerdict> items, boolean batch) {
        long start = System.nanoTime();
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            for (PendingVerdict item : items) {
                item.applyLimits(limits);
            }
            if (prefetch && !failFast && !batch && items.size() == 1) {
                prefetch(items.get(0));
            }
            promptRunner.run(withStage(items, Stage.PROMPT), batch);
            outputRunner.run(withStage(items, Stage.OUTPUT), batch);
        } finally {
            lifecycle.readLock().unlock();
        }
        Duration latency = Duration.ofNanos(System.nanoTime() - start).dividedBy(items.size());
        List<Verdict> verdicts = new ArrayList<>(items.size());
        for (PendingVerdict item : items) {
            verdicts.add(item.toVerdict(failurePolicy, latency));
        }
        if (log.isDebugEnabled()) {
            for (Verdict v : verdicts) {
                log.debug("{}", v);
            }
        }
        return verdicts;
    }

    /**
     * Hands each scanner the input it is about to judge ({@link Scanner#prefetch}): the prompt
     * scanners' hints on a helper thread, the output scanners' on the caller, so shared work on the
     * two texts (an encoder's cache) proceeds on two cores. Only when both stages run, both texts
     * are within limits and not blank, and the guard has an executor; the caller runs the prompt
     * hints itself if no helper has taken them by the time it is done, so a busy executor cannot
     * stall a scan. Failures are ignored: the stages then do the work and report any error.
     */
    private void prefetch(PendingVerdict item) {
        String prompt = item.promptForPrefetch();
        String output = item.outputForPrefetch();
        if (prefetchExecutor == null || prompt == null || output == null || prompt.isBlank() || output.isBlank()) {
            return;
        }
        ScanInput promptInput = ScanInput.prompt(prompt);
        ScanInput outputInput = ScanInput.output(prompt, output);
        java.util.concurrent.atomic.AtomicBoolean taken = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Runnable promptHints = () -> {
            if (taken.compareAndSet(false, true)) {
                try {
                    hint(inputScanners, promptInput);
                } finally {
                    done.countDown();
                }
            }
        };
        try {
            prefetchExecutor.execute(promptHints);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // run below on this thread
        }
        hint(outputScanners, outputInput);
        promptHints.run();
        Latches.awaitUninterruptibly(done);
    }

    /** Whether some scanner overrides {@link Scanner#prefetch} (the default does nothing). */
    private static boolean takesHints(List<Scanner> scanners) {
        for (Scanner s : scanners) {
            try {
                if (s.getClass().getMethod("prefetch", ScanInput.class).getDeclaringClass() != Scanner.class) {
                    return true;
                }
            } catch (NoSuchMethodException | SecurityException e) {
                return true; // cannot tell: offer the hints
            }
        }
        return false;
    }

    private void hint(List<Scanner> scanners, ScanInput input) {
        for (Scanner s : scanners) {
            if (s.isSanitizer()) {
                return; // sanitizers run first and may change what the detectors judge
            }
        }
        if (scannerTimeout != null) {
            ScanDeadline.enter(scannerTimeout);
        }
        try {
            for (Scanner s : scanners) {
                try {
                    s.prefetch(input);
                } catch (RuntimeException e) {
                    log.debug("prefetch of scanner '{}' failed; its stage will do the work", s.name(), e);
                }
                if (scannerTimeout != null && ScanDeadline.remainingNanos() <= 0) {
                    return;
                }
            }
        } finally {
            if (scannerTimeout != null) {
                ScanDeadline.exit();
            }
        }
    }

    private static List<PendingVerdict> withStage(List<PendingVerdict> items, Stage stage) {
        List<PendingVerdict> out = new ArrayList<>(items.size());
        for (PendingVerdict item : items) {
            if (item.runs(stage)) {
                out.add(item);
            }
        }
        return out;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("guard is closed");
        }
    }

    /** The prompt-stage scanners in declared order (unmodifiable). */
    public List<Scanner> inputScanners() {
        return inputScanners;
    }

    /** The output-stage scanners in declared order (unmodifiable). */
    public List<Scanner> outputScanners() {
        return outputScanners;
    }

    public InputLimits limits() {
        return limits;
    }

    public FailurePolicy failurePolicy() {
        return failurePolicy;
    }

    /** True once {@link #close()} has been called. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Waits for in-flight scans, then closes every scanner this guard holds, each instance once
     * even if registered more than once, and shuts down the executor the guard made for itself (an
     * executor passed to {@link Builder#executor} is left running). A scanner whose {@code close}
     * throws is logged at WARN and the others are still closed. Idempotent.
     *
     * @throws IllegalStateException if called from inside a scan on this guard, which would wait
     *                               for itself forever
     */
    @Override
    public void close() {
        if (lifecycle.getReadHoldCount() > 0) {
            throw new IllegalStateException("Guard.close() called from inside a scan on the same guard; "
                    + "it would wait for that scan to end forever");
        }
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            Map<Scanner, Boolean> seen = new IdentityHashMap<>();
            List<Scanner> all = new ArrayList<>(inputScanners);
            all.addAll(outputScanners);
            for (Scanner scanner : all) {
                if (seen.put(scanner, Boolean.TRUE) != null) {
                    continue;
                }
                try {
                    scanner.close();
                } catch (VirtualMachineError e) {
                    throw e;
                } catch (Throwable t) {
                    log.warn("closing scanner '{}' failed; closing the others anyway", safeName(scanner), t);
                }
            }
            if (ownExecutor != null) {
                // No scan holds the read lock, so no detector task is running: nothing to wait for.
                ownExecutor.shutdown();
            }
            log.debug("closed {}", this);
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    private static String safeName(Scanner scanner) {
        try {
            return scanner.name();
        } catch (RuntimeException e) {
            return scanner.getClass().getName();
        }
    }

    @Override
    public String toString() {
        return "Guard[input=" + names(inputScanners) + ", output=" + names(outputScanners)
                + ", failurePolicy=" + failurePolicy + ", failFast=" + failFast + ", parallel=" + parallel
                + ", " + limits + (closed ? ", closed" : "") + "]";
    }

    private static List<String> names(List<Scanner> scanners) {
        return scanners.stream().map(Guard::safeName).toList();
    }

    /**
     * Configures a {@link Guard}. Setters check their argument at once: {@code null} throws
     * {@link NullPointerException} naming the parameter, a scanner with a null or blank
     * {@link Scanner#name()} throws {@link IllegalArgumentException} naming the setting. Not
     * thread-safe; {@link #build()} may be called more than once, each guard sharing the scanner
     * instances (so closing one guard closes them for the others).
     */
    public static final class Builder {
        private final List<RegisteredScanner> inputScanners = new ArrayList<>();
        private final List<RegisteredScanner> outputScanners = new ArrayList<>();
        private InputLimits limits = InputLimits.defaults();
        private FailurePolicy failurePolicy = FailurePolicy.FAIL_CLOSED;
        private boolean failFast;
        private Executor executor;
        private boolean parallel = true;
        private java.time.Duration scannerTimeout;
        private boolean prefetch = true;

        private Builder() {
        }

        /** Adds a prompt-stage scanner after those already added. */
        public Builder inputScanner(Scanner inputScanner) {
            Objects.requireNonNull(inputScanner, "inputScanner");
            inputScanners.add(RegisteredScanner.of(inputScanner, Stage.PROMPT, "inputScanner"));
            return this;
        }

        /** Adds prompt-stage scanners, in list order, after those already added. */
        public Builder inputScanners(List<? extends Scanner> inputScanners) {
            addAll(this.inputScanners, inputScanners, Stage.PROMPT, "inputScanners");
            return this;
        }

        /** Adds an output-stage scanner after those already added. */
        public Builder outputScanner(Scanner outputScanner) {
            Objects.requireNonNull(outputScanner, "outputScanner");
            outputScanners.add(RegisteredScanner.of(outputScanner, Stage.OUTPUT, "outputScanner"));
            return this;
        }

        /** Adds output-stage scanners, in list order, after those already added. */
        public Builder outputScanners(List<? extends Scanner> outputScanners) {
            addAll(this.outputScanners, outputScanners, Stage.OUTPUT, "outputScanners");
            return this;
        }

        private static void addAll(List<RegisteredScanner> into, List<? extends Scanner> scanners, Stage stage,
                                   String setting) {
            Objects.requireNonNull(scanners, setting);
            // Validate the whole list before adding any, so a bad list leaves the builder as it was.
            List<RegisteredScanner> checked = new ArrayList<>(scanners.size());
            for (int i = 0; i < scanners.size(); i++) {
                String element = setting + "[" + i + "]";
                checked.add(RegisteredScanner.of(Objects.requireNonNull(scanners.get(i), element), stage, element));
            }
            into.addAll(checked);
        }

        /** The text and batch size limits; default {@link InputLimits#defaults()}. */
        public Builder limits(InputLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** Whether a scanner ERROR blocks ({@link FailurePolicy#FAIL_CLOSED}, the default) or not. */
        public Builder failurePolicy(FailurePolicy failurePolicy) {
            this.failurePolicy = Objects.requireNonNull(failurePolicy, "failurePolicy");
            return this;
        }

        /**
         * Whether to stop running scanners on an exchange once one blocks it (default {@code false});
         * the rest are reported {@link Decision#SKIPPED}. Saves work on traffic that is often
         * blocked, at the price of less complete and, with parallel detectors, less repeatable results.
         */
        /**
         * A time budget for each scanner call (per text: a batch call gets it once per input). A
         * scanner that returns after it gets an ERROR result ({@link ScanTimeoutException}) and the
         * failure policy decides; model scanners read {@link ScanDeadline} and stop their ONNX run
         * at the deadline. A scanner that never returns cannot be stopped from outside: rule
         * scanners bound their own work (see the regex step budget). Default: none.
         */
        public Builder scannerTimeout(java.time.Duration timeout) {
            Objects.requireNonNull(timeout, "scannerTimeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("scannerTimeout must be positive, got " + timeout);
            }
            this.scannerTimeout = timeout;
            return this;
        }

        /**
         * Whether {@link Guard#scan(String, String)} first hands both texts to every scanner's
         * {@link Scanner#prefetch} (default true): the default model scanners then encode the prompt
         * and the output in one call on two cores instead of one after the other, so a call costs
         * about one encoder pass over both (docs/benchmarks.md). Not done with {@code failFast},
         * where a blocked prompt may make the output's work unnecessary.
         */
        public Builder prefetch(boolean prefetch) {
            this.prefetch = prefetch;
            return this;
        }

        public Builder failFast(boolean failFast) {
            this.failFast = failFast;
            return this;
        }

        /**
         * Where parallel detectors run. Without one the guard makes a small pool of daemon threads
         * when some stage has two or more detectors, and shuts it down on {@link Guard#close()}; an
         * executor given here is never shut down by the guard. The calling thread runs detectors too
         * and takes back any the executor has not started or rejects, so a bounded, busy or
         * caller-shared executor cannot deadlock a scan. Ignored when {@code parallel(false)}.
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /** Whether detectors of one stage run at once (default {@code true}); sanitizers never do. */
        public Builder parallel(boolean parallel) {
            this.parallel = parallel;
            return this;
        }

        /** A guard with the scanners added so far; the builder's later changes do not affect it. */
        public Guard build() {
            return new Guard(this);
        }
    }

    /** The executor this guard made for itself, or {@code null}; for tests. */
    ExecutorService ownExecutor() {
        return ownExecutor;
    }
}
