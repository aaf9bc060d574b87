package dev.parapet.core;

import java.util.ArrayList;
import java.util.List;

/**
 * One check on one side of an exchange. Implementations are immutable once built and safe to call
 * from many threads at once.
 *
 * <p>A scanner either <em>detects</em> (reads the text, reports a {@link Decision}) or
 * <em>sanitizes</em> (may also return a rewritten text in {@link ScanResult#sanitizedText()}).
 * {@link Guard} runs sanitizers one after another in declared order, each seeing the text the
 * previous one left, and then runs the detectors on the final text, in parallel.
 *
 * <p>{@code scan} should report problems as a result with {@link Decision#ERROR} rather than throw;
 * the guard also turns anything thrown into such a result.
 */
public interface Scanner extends AutoCloseable {

    /** A short stable name, used in results and configuration ("toxicity", "banned-substrings"). */
    String name();

    /** True when this scanner may rewrite text; the guard then runs it in declared order before detectors. */
    default boolean isSanitizer() {
        return false;
    }

    /** Judges one input. */
    ScanResult scan(ScanInput input);

    /**
     * Judges many inputs; results come back in the order of {@code inputs}. Model scanners override
     * this to tokenize and run the whole list in as few ONNX runs as possible.
     */
    default List<ScanResult> scanAll(List<ScanInput> inputs) {
        List<ScanResult> results = new ArrayList<>(inputs.size());
        for (ScanInput input : inputs) {
            results.add(scan(input));
        }
        return results;
    }

    /** Releases native resources. Idempotent; scans after close fail with {@link IllegalStateException}. */
    @Override
    default void close() {
    }
}
