package dev.parapet.core;

import java.util.Locale;
import java.util.Objects;

/**
 * Size limits on what a {@link Guard} hands to its scanners, as an immutable value object in the
 * manner of Jackson's {@code StreamReadConstraints}: named defaults, a builder, and messages that
 * say which limit was hit and how to raise it.
 *
 * <p>Why limits exist at all: a model scanner's cost grows with the text (a long text is scanned in
 * overlapping windows, never truncated), so an unbounded input is an unbounded bill of CPU time and
 * memory. The guard checks these limits before any scanner runs; a text over a limit never reaches
 * a scanner and the verdict is blocked with a {@link Decision#FLAGGED} result named
 * {@value #SCANNER_NAME}, labelled {@value #PROMPT_LABEL} or {@value #OUTPUT_LABEL}. A batch over
 * {@link #maxBatchExchanges()} is a caller error and throws {@link IllegalArgumentException}.
 *
 * <p>Sizes are counted in UTF-16 code units, i.e. {@link String#length()}, not code points or tokens.
 *
 * <pre>{@code
 * InputLimits limits = InputLimits.builder()
 *         .maxPromptChars(64_000)
 *         .maxOutputChars(256_000)
 *         .build();
 * }</pre>
 */
public final class InputLimits {

    /** Default for {@link #maxPromptChars()}: 1 Mi chars, far beyond any chat prompt, small enough to bound a scan. */
    public static final int DEFAULT_MAX_PROMPT_CHARS = 1_048_576;

    /** Default for {@link #maxOutputChars()}: 1 Mi chars. */
    public static final int DEFAULT_MAX_OUTPUT_CHARS = 1_048_576;

    /** Default for {@link #maxBatchExchanges()}: 10,000 exchanges in one {@link Guard#scanAll} call. */
    public static final int DEFAULT_MAX_BATCH_EXCHANGES = 10_000;

    /** The scanner name of the result the guard reports when a text is over a limit. */
    public static final String SCANNER_NAME = "input-limits";

    /** The label of that result when the prompt is over {@link #maxPromptChars()}. */
    public static final String PROMPT_LABEL = "max_prompt_chars";

    /** The label of that result when the output is over {@link #maxOutputChars()}. */
    public static final String OUTPUT_LABEL = "max_output_chars";

    private static final InputLimits DEFAULTS = new InputLimits(
            DEFAULT_MAX_PROMPT_CHARS, DEFAULT_MAX_OUTPUT_CHARS, DEFAULT_MAX_BATCH_EXCHANGES);

    private final int maxPromptChars;
    private final int maxOutputChars;
    private final int maxBatchExchanges;

    private InputLimits(int maxPromptChars, int maxOutputChars, int maxBatchExchanges) {
        this.maxPromptChars = maxPromptChars;
        this.maxOutputChars = maxOutputChars;
        this.maxBatchExchanges = maxBatchExchanges;
    }

    /** The defaults: {@link #DEFAULT_MAX_PROMPT_CHARS}, {@link #DEFAULT_MAX_OUTPUT_CHARS}, {@link #DEFAULT_MAX_BATCH_EXCHANGES}. */
    public static InputLimits defaults() {
        return DEFAULTS;
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder(DEFAULTS);
    }

    /** A builder starting from these limits, to change one and keep the rest. */
    public Builder rebuild() {
        return new Builder(this);
    }

    /** The most UTF-16 chars a prompt may have; a prompt of exactly this length passes. */
    public int maxPromptChars() {
        return maxPromptChars;
    }

    /** The most UTF-16 chars an output may have; an output of exactly this length passes. */
    public int maxOutputChars() {
        return maxOutputChars;
    }

    /** The most exchanges one {@link Guard#scanAll} call may carry. */
    public int maxBatchExchanges() {
        return maxBatchExchanges;
    }

    /** The limit on the text of {@code stage}: {@link #maxPromptChars()} or {@link #maxOutputChars()}. */
    public int maxChars(Stage stage) {
        return Objects.requireNonNull(stage, "stage") == Stage.PROMPT ? maxPromptChars : maxOutputChars;
    }

    /**
     * Checks one text against its limit.
     *
     * @param stage which text this is: {@link Stage#PROMPT} for a prompt (also when it is the context
     *              of an output scan), {@link Stage#OUTPUT} for an output
     * @return {@code null} when the text is within the limit, else a message naming the limit, the
     *         actual size and how to raise it; the message never quotes the text
     */
    public String check(Stage stage, String text) {
        Objects.requireNonNull(text, "text");
        int max = maxChars(stage);
        if (text.length() <= max) {
            return null;
        }
        String what = stage == Stage.PROMPT ? "prompt" : "output";
        String setting = stage == Stage.PROMPT ? "maxPromptChars" : "maxOutputChars";
        return String.format(Locale.ROOT,
                "%s has %,d chars, over InputLimits.%s = %,d; raise it with InputLimits.builder().%s(...)",
                what, text.length(), setting, max, setting);
    }

    /** {@link #check(Stage, String)} for a prompt. */
    public String checkPrompt(String prompt) {
        return check(Stage.PROMPT, prompt);
    }

    /** {@link #check(Stage, String)} for an output. */
    public String checkOutput(String output) {
        return check(Stage.OUTPUT, output);
    }

    /** {@code null} when a batch of {@code exchanges} is within {@link #maxBatchExchanges()}, else a message. */
    public String checkBatch(int exchanges) {
        if (exchanges <= maxBatchExchanges) {
            return null;
        }
        return String.format(Locale.ROOT,
                "batch has %,d exchanges, over InputLimits.maxBatchExchanges = %,d; split the batch or raise it "
                        + "with InputLimits.builder().maxBatchExchanges(...)",
                exchanges, maxBatchExchanges);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InputLimits other
                && maxPromptChars == other.maxPromptChars
                && maxOutputChars == other.maxOutputChars
                && maxBatchExchanges == other.maxBatchExchanges;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxPromptChars, maxOutputChars, maxBatchExchanges);
    }

    @Override
    public String toString() {
        return "InputLimits[maxPromptChars=" + maxPromptChars + ", maxOutputChars=" + maxOutputChars
                + ", maxBatchExchanges=" + maxBatchExchanges + "]";
    }

    /** Builds {@link InputLimits}; every setter rejects a non-positive value at once. */
    public static final class Builder {
        private int maxPromptChars;
        private int maxOutputChars;
        private int maxBatchExchanges;

        private Builder(InputLimits from) {
            this.maxPromptChars = from.maxPromptChars;
            this.maxOutputChars = from.maxOutputChars;
            this.maxBatchExchanges = from.maxBatchExchanges;
        }

        public Builder maxPromptChars(int maxPromptChars) {
            this.maxPromptChars = positive("maxPromptChars", maxPromptChars);
            return this;
        }

        public Builder maxOutputChars(int maxOutputChars) {
            this.maxOutputChars = positive("maxOutputChars", maxOutputChars);
            return this;
        }

        public Builder maxBatchExchanges(int maxBatchExchanges) {
            this.maxBatchExchanges = positive("maxBatchExchanges", maxBatchExchanges);
            return this;
        }

        public InputLimits build() {
            return new InputLimits(maxPromptChars, maxOutputChars, maxBatchExchanges);
        }

        private static int positive(String setting, int value) {
            if (value <= 0) {
                throw new IllegalArgumentException("InputLimits." + setting + " must be positive, got " + value);
            }
            return value;
        }
    }
}
