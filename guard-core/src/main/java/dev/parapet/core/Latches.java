package dev.parapet.core;

import java.util.concurrent.CountDownLatch;

/** Waiting on work that other threads run for a scan. */
final class Latches {
    private Latches() {
    }

    /**
     * Waits for {@code latch}, ignoring interrupts until it opens and then restoring the flag:
     * returning early would let the caller (or {@link Guard#close()}) go on while a pool thread is
     * still using what the caller owns.
     */
    static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
