package dev.parapet.core;

/** What the guard's verdict is when a scanner ends in {@link Decision#ERROR}. */
public enum FailurePolicy {
    /** An error blocks the exchange (the default: a guard that cannot judge does not let text through). */
    FAIL_CLOSED,
    /** An error is reported in the results but does not block. */
    FAIL_OPEN
}
