package dev.parapet.core;

import java.time.Duration;

/**
 * The time budget of the scanner call running on this thread, set by {@link Guard} when
 * {@link Guard.Builder#scannerTimeout(Duration)} is configured. Scanners with long native work
 * read it to stop early: guard-onnx terminates an ONNX run at the deadline (through
 * {@code RunOptions.setTerminate}). A scanner that ignores it still gets an ERROR result when it
 * returns after its budget.
 */
public final class ScanDeadline {
    private static final ThreadLocal<long[]> DEADLINE = new ThreadLocal<>();

    private ScanDeadline() {
    }

    /** Nanoseconds left ({@code System.nanoTime()} scale), or {@link Long#MAX_VALUE} when no budget applies. */
    public static long remainingNanos() {
        long[] d = DEADLINE.get();
        return d == null ? Long.MAX_VALUE : d[0] - System.nanoTime();
    }

    /** The budget of the current call, or {@code null} when none applies. */
    public static Duration budget() {
        long[] d = DEADLINE.get();
        return d == null ? null : Duration.ofNanos(d[1]);
    }

    /** Throws {@link ScanTimeoutException} when the current call's budget is spent. */
    public static void check(String what) {
        long[] d = DEADLINE.get();
        if (d != null && d[0] - System.nanoTime() <= 0) {
            throw new ScanTimeoutException(what + " stopped: the scanner's time budget of " + Duration.ofNanos(d[1]).toMillis()
                    + " ms is spent (Guard.Builder.scannerTimeout)");
        }
    }

    static void enter(Duration budget) {
        DEADLINE.set(new long[]{System.nanoTime() + budget.toNanos(), budget.toNanos()});
    }

    static void exit() {
        DEADLINE.remove();
    }
}
