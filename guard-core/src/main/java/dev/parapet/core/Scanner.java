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

    /**
     * A hint from {@link Guard#scan(String, String)}, before its stages run, that this scanner will
     * judge {@code input} (a prompt-stage input for prompt scanners, an output-stage one for output
     * scanners). A scanner that can start shared work early may do it here: the default model
     * scanners put the text into their shared encoder's cache, and since the guard gives the prompt
     * scanners' hints to another thread than the output scanners', the prompt and the output are
     * encoded on two cores at once instead of one after the other. It must not produce results; the
     * guard ignores what it throws (the stage then does the work). Runs under the guard's scanner
     * budget, if any. Default: nothing.
     */
    default void prefetch(ScanInput input) {
    }

    /** Releases native resources. Idempotent; scans after close fail with {@link IllegalStateException}. */
    @Override
    default void close() {
    }
}
