package dev.parapet.core;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One detector's share of a stage, runnable exactly once by whichever thread claims it first: a
 * pool thread or the calling thread. The caller claims every task the pool has not started yet, so
 * a busy, saturated or rejecting executor (or a guard called from inside its own executor) slows a
 * scan down instead of deadlocking it. A queued copy that loses the claim does nothing.
 */
final class DetectorTask implements Runnable {
    private final Runnable body;
    private final AtomicBoolean claimed = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);
    // Written before done.countDown(), read after done.await(): the latch publishes it.
    private Throwable fatal;

    DetectorTask(Runnable body) {
        this.body = body;
    }

    @Override
    public void run() {
        if (!claimed.compareAndSet(false, true)) {
            return;
        }
        try {
            body.run();
        } catch (Throwable t) {
            // The body turns scanner failures into results; what reaches here is a VirtualMachineError
            // or a guard bug, which must surface on the calling thread, not die in a pool thread.
            fatal = t;
        } finally {
            done.countDown();
        }
    }

    /**
     * Waits for the task, ignoring interrupts until it is done (the interrupt is kept): returning
     * early would let {@link Guard#close()} close a scanner that a pool thread is still running.
     */
    void awaitDone() {
        Latches.awaitUninterruptibly(done);
    }

    Throwable fatal() {
        return fatal;
    }
}
