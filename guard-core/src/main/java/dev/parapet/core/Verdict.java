package dev.parapet.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link Guard} concluded about one exchange. Immutable and safe to share.
 *
 * <p>{@link #results()} holds one {@link ScanResult} for every scanner the call involved, in
 * declared order (prompt-stage scanners first, then output-stage), including scanners that failed
 * ({@link Decision#ERROR}) or did not run ({@link Decision#SKIPPED}); a result named
 * {@value InputLimits#SCANNER_NAME} comes first in its stage when a text was over an
 * {@link InputLimits} limit. Nothing the scanners reported is dropped.
 *
 * <p>The verdict is blocked when any result is {@link Decision#FLAGGED}, or is
 * {@link Decision#ERROR} while the guard's policy is {@link FailurePolicy#FAIL_CLOSED}.
 *
 * <p>{@link #toString()} never includes the prompt or output text, so a verdict may be logged;
 * the texts are only reachable through {@link #sanitizedPrompt()} and {@link #sanitizedOutput()}.
 */
public final class Verdict {
    private final List<ScanResult> results;
    private final List<ScanResult> blockingResults;
    private final String sanitizedPrompt;
    private final String sanitizedOutput;
    private final Duration latency;

    Verdict(List<ScanResult> results, FailurePolicy policy, String sanitizedPrompt, String sanitizedOutput,
            Duration latency) {
        Objects.requireNonNull(policy, "policy");
        this.results = List.copyOf(results);
        List<ScanResult> blocking = new ArrayList<>();
        for (ScanResult r : this.results) {
            if (blocks(r, policy)) {
                blocking.add(r);
            }
        }
        this.blockingResults = List.copyOf(blocking);
        this.sanitizedPrompt = Objects.requireNonNull(sanitizedPrompt, "sanitizedPrompt");
        this.sanitizedOutput = sanitizedOutput;
        this.latency = Objects.requireNonNull(latency, "latency");
    }

    static boolean blocks(ScanResult result, FailurePolicy policy) {
        return result.decision() == Decision.FLAGGED
                || (result.decision() == Decision.ERROR && policy == FailurePolicy.FAIL_CLOSED);
    }

    /** True when no result blocks: the exchange may go on. */
    public boolean allowed() {
        return blockingResults.isEmpty();
    }

    /** The opposite of {@link #allowed()}. */
    public boolean blocked() {
        return !blockingResults.isEmpty();
    }

    /** Every per-scanner result, in declared order, prompt stage first. */
    public List<ScanResult> results() {
        return results;
    }

    /**
     * The results that made this verdict blocked, in the order of {@link #results()}: the
     * {@link Decision#FLAGGED} ones, plus the {@link Decision#ERROR} ones under
     * {@link FailurePolicy#FAIL_CLOSED}. Empty when {@link #allowed()}.
     */
    public List<ScanResult> blockingResults() {
        return blockingResults;
    }

    /** The first of {@link #blockingResults()}, if any. */
    public Optional<ScanResult> firstBlocking() {
        return blockingResults.isEmpty() ? Optional.empty() : Optional.of(blockingResults.get(0));
    }

    /**
     * The prompt after the prompt-stage sanitizers, or the prompt as given when none rewrote it
     * (also when the prompt stage did not run, was over its limit, or a sanitizer failed).
     */
    public String sanitizedPrompt() {
        return sanitizedPrompt;
    }

    /** The output after the output-stage sanitizers; {@code null} when the call had no output stage. */
    public String sanitizedOutput() {
        return sanitizedOutput;
    }

    /**
     * The wall time of the whole guard call. For {@link Guard#scanAll} it is the batch's wall time
     * divided by the number of exchanges, since the scanners judged them together.
     */
    public Duration latency() {
        return latency;
    }

    /**
     * The first result of the scanner named {@code scannerName}. A scanner registered on both
     * stages has two results; use {@link #result(String, Stage)} to pick one.
     */
    public Optional<ScanResult> result(String scannerName) {
        Objects.requireNonNull(scannerName, "scannerName");
        for (ScanResult r : results) {
            if (r.scanner().equals(scannerName)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /** The first result of the scanner named {@code scannerName} on {@code stage}. */
    public Optional<ScanResult> result(String scannerName, Stage stage) {
        Objects.requireNonNull(scannerName, "scannerName");
        Objects.requireNonNull(stage, "stage");
        for (ScanResult r : results) {
            if (r.stage() == stage && r.scanner().equals(scannerName)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /** E.g. {@code Verdict[BLOCKED by toxicity[OUTPUT] in 3.214 ms; results: ...]}; never contains the texts. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Verdict[");
        if (allowed()) {
            s.append("ALLOWED");
        } else {
            s.append("BLOCKED by ");
            for (int i = 0; i < blockingResults.size(); i++) {
                ScanResult r = blockingResults.get(i);
                s.append(i == 0 ? "" : ", ").append(r.scanner()).append('[').append(r.stage()).append(']');
            }
        }
        s.append(String.format(Locale.ROOT, " in %.3f ms; results: ", latency.toNanos() / 1e6));
        for (int i = 0; i < results.size(); i++) {
            s.append(i == 0 ? "" : "; ").append(results.get(i));
        }
        return s.append(']').toString();
    }
}
