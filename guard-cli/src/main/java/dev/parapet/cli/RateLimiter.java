package dev.parapet.cli;

/**
 * At most {@code rate} starts per second, evenly spaced (no bursts), shared by any number of
 * threads. A rate of 0 or less means no limit.
 */
final class RateLimiter {
    private final long intervalNanos;
    private long next;

    RateLimiter(double perSecond) {
        this.intervalNanos = perSecond > 0 ? (long) (1e9 / perSecond) : 0;
        this.next = System.nanoTime();
    }

    /** Waits for the next free slot. */
    void acquire() throws InterruptedException {
        if (intervalNanos == 0) {
            return;
        }
        long slot;
        synchronized (this) {
            long now = System.nanoTime();
            slot = Math.max(now, next);
            next = slot + intervalNanos;
        }
        long wait = slot - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
    }
}
