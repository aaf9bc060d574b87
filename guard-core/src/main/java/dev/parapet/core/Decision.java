package dev.parapet.core;

/** What one scanner concluded about one text. */
public enum Decision {
    /** Nothing found (a sanitizer may still have rewritten the text). */
    PASSED,
    /** The scanner's condition fired: score at or above threshold, rule matched, limit exceeded. */
    FLAGGED,
    /** The scanner failed (exception, timeout, closed); the guard's {@link FailurePolicy} decides. */
    ERROR,
    /** The scanner did not run because the guard stopped early ({@code failFast}). */
    SKIPPED
}
