package dev.parapet.onnx;

import dev.parapet.core.ScanDeadline;
import dev.parapet.core.ScanTimeoutException;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Coalesces concurrent calls into batches, like an inference server's dynamic batching: calls that
 * arrive from many request threads while the model is busy, or within a small wait of each other,
 * go into one call of the batch function (e.g. {@link TextEncoder#encodeWindows}), and each caller
 * gets back its own results, or its own error.
 *
 * <pre>{@code
 * MicroBatcher<String, EncodedText> batcher = MicroBatcher.builder(encoder::encodeWindows)
 *         .maxWait(Duration.ofMillis(2)).maxBatch(32).lanes(2).build();
 * EncodedText e = batcher.call(text);          // from any number of threads
 * }</pre>
 *
 * <h2>How a batch forms</h2>
 * There is no dispatcher thread: callers take turns as leaders (leader/follower). A call joins the
 * queue; if a lane is free and no other leader is gathering a batch, its caller becomes the leader,
 * takes the oldest queued calls (whole calls, at most {@code maxBatch} items, a larger call alone),
 * runs the function on its own thread, hands every caller its slice, and frees the lane. The other
 * callers wait.
 * <ul>
 *   <li>A lone caller (no batch running, nothing else queued) runs at once: no added latency, no
 *       thread hand-off.</li>
 *   <li>Otherwise the leader first waits until {@code maxBatch} items are queued or the oldest
 *       queued call has waited {@code maxWait}, whichever comes first. No caller waits longer than
 *       {@code maxWait} for a batch to fill; it may wait longer for a free lane, as it would for
 *       the CPU without batching.</li>
 *   <li>At most {@code lanes} batches run at once. With one intra-op thread per ONNX session, one
 *       lane per core keeps every core busy with batches.</li>
 * </ul>
 *
 * <h2>Results and errors</h2>
 * Results come back in the order of each call's items. When a batch of several calls fails with a
 * {@link RuntimeException}, each of its calls is run again on its own, so one bad input fails only
 * its own call and its companions still get their results (the function must therefore be free of
 * side effects). A {@link ScanTimeoutException} from the leader's deadline fails only the leader's
 * own call; the other calls go back to the front of the queue. An {@link Error} fails every call of
 * the batch. The same exception instance is thrown in every thread it fails.
 *
 * <h2>Deadlines</h2>
 * A batch runs under the {@link ScanDeadline} of the thread that leads it. A follower whose call is
 * still queued when its own deadline passes withdraws it and gets a {@link ScanTimeoutException};
 * a follower whose call is already running waits for its batch.
 *
 * <h2>Caveat: results depend on companions</h2>
 * Parapet's Maven-shipped encoders are dynamically quantized with one scale per input tensor, so a
 * text's vector shifts slightly with the other rows of its batch and their padding (see
 * docs/design-notes.md). With micro-batching a caller's score therefore depends on who else called
 * at the same moment: results stay close (cosine 0.98 or more on short texts) but are not
 * repeatable bit for bit. That is why it is opt-in.
 *
 * <h2>Lifecycle</h2>
 * Thread-safe. {@link #close()} refuses new calls, fails calls still queued with an
 * {@link IllegalStateException} that says the batcher was closed, waits for running batches, and
 * is idempotent. It does not close what the function uses. Interrupted callers keep waiting (their
 * call may already be running) and return with their interrupt status set.
 *
 * @param <I> one item of a call (a text)
 * @param <O> the result for one item
 */
public final class MicroBatcher<I, O> implements AutoCloseable {
    /** The batch function: one result per item, in item order. */
    @FunctionalInterface
    public interface BatchFunction<I, O> {
        List<O> apply(List<I> items);
    }

    /**
     * Counters since the batcher was built: calls queued, batches run, items in them, the largest
     * batch, batches a lone caller ran at once (no gathering), and failed batches whose calls were
     * run again one by one. {@code items / batches} is the mean batch size.
     */
    public record Stats(long calls, long batches, long items, int largestBatch, long immediateBatches, long isolatedRetries) {
        public double meanBatchSize() {
            return batches == 0 ? 0.0 : (double) items / batches;
        }
    }

    /** How long the oldest queued call may wait for its batch to fill when not set: 2 ms. */
    public static final Duration DEFAULT_MAX_WAIT = Duration.ofMillis(2);
    /** Items one batch may hold when not set; {@link RuntimeOptions#DEFAULT_MAX_BATCH_SIZE}. */
    public static final int DEFAULT_MAX_BATCH = RuntimeOptions.DEFAULT_MAX_BATCH_SIZE;
    /** Batches that may run at once when not set. */
    public static final int DEFAULT_LANES = 1;
    /** The longest {@code maxWait} accepted: a micro-batcher is for milliseconds, not seconds. */
    public static final Duration MAX_MAX_WAIT = Duration.ofSeconds(1);

    private final String name;
    private final BatchFunction<I, O> function;
    private final long maxWaitNanos;
    private final int maxBatch;
    private final int lanes;

    private final ReentrantLock lock = new ReentrantLock();
    /** A call finished, a lane freed, a leader stopped gathering, or the batcher closed. */
    private final Condition changed = lock.newCondition();
    /** A call joined the queue (wakes a leader that is gathering a batch). */
    private final Condition arrived = lock.newCondition();
    private final ArrayDeque<Call<I, O>> queue = new ArrayDeque<>();
    private final Set<Thread> leaders = new HashSet<>();
    private int queuedItems;
    private int running;
    private boolean gathering;
    private boolean closed;

    private long calls;
    private long batches;
    private long items;
    private int largestBatch;
    private long immediateBatches;
    private long isolatedRetries;

    private MicroBatcher(Builder<I, O> b) {
        this.name = b.name;
        this.function = b.function;
        this.maxWaitNanos = b.maxWait.toNanos();
        this.maxBatch = b.maxBatch;
        this.lanes = b.lanes;
    }

    /** A builder around {@code function}, which must be thread-safe when {@code lanes > 1}. */
    public static <I, O> Builder<I, O> builder(BatchFunction<I, O> function) {
        return new Builder<>(function);
    }

    /** The result for one item; blocks until its batch has run. */
    public O call(I item) {
        Objects.requireNonNull(item, "item");
        return callAll(Collections.singletonList(item)).get(0);
    }

    /**
     * The results for {@code items}, in order. The items of one call stay together in one batch
     * (a call larger than {@code maxBatch} runs as a batch of its own).
     *
     * @throws IllegalStateException if the batcher is closed, or is closed while the call waits in the queue
     */
    public List<O> callAll(List<I> items) {
        Objects.requireNonNull(items, "items");
        List<I> copy = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            copy.add(Objects.requireNonNull(items.get(i), "items[" + i + "]"));
        }
        long deadlineLeft = ScanDeadline.remainingNanos();
        Call<I, O> call = new Call<>(Collections.unmodifiableList(copy), System.nanoTime());
        boolean interrupted = false;
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException(name + " is closed");
            }
            if (copy.isEmpty()) {
                return List.of();
            }
            calls++;
            queue.addLast(call);
            queuedItems += copy.size();
            arrived.signalAll();
            long deadline = deadlineLeft == Long.MAX_VALUE ? 0 : call.arrival + deadlineLeft;
            while (!call.done) {
                boolean timed = deadlineLeft != Long.MAX_VALUE && !call.taken;
                long left = timed ? deadline - System.nanoTime() : Long.MAX_VALUE;
                if (left <= 0) {
                    // Still queued (a running call waits for its batch): withdraw it.
                    queue.remove(call);
                    queuedItems -= call.items.size();
                    changed.signalAll();
                    throw new ScanTimeoutException(name + ": the call waited in the queue past its scanner's time budget of "
                            + ScanDeadline.budget().toMillis() + " ms (Guard.Builder.scannerTimeout)");
                }
                if (!call.taken && !gathering && running < lanes) {
                    interrupted |= lead(call);
                } else if (!timed) {
                    changed.awaitUninterruptibly();
                } else {
                    try {
                        changed.awaitNanos(left);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (call.error != null) {
            throw sneaky(call.error);
        }
        return call.results;
    }

    /**
     * Gathers and runs one batch on the calling thread. Entered and left holding the lock; the lock
     * is released while the function runs. Returns whether the thread was interrupted while it waited.
     */
    private boolean lead(Call<I, O> own) {
        boolean interrupted = false;
        boolean idle = running == 0 && queue.size() == 1;
        running++;
        leaders.add(Thread.currentThread());
        List<Call<I, O>> batch = new ArrayList<>();
        try {
            if (!idle && maxWaitNanos > 0) {
                gathering = true;
                try {
                    while (!closed && !queue.isEmpty() && queuedItems < maxBatch) {
                        long left = queue.peekFirst().arrival + maxWaitNanos - System.nanoTime();
                        if (left <= 0) {
                            break;
                        }
                        try {
                            arrived.awaitNanos(left);
                        } catch (InterruptedException e) {
                            interrupted = true;
                            break;
                        }
                    }
                } finally {
                    gathering = false;
                    // another caller may lead a second lane now
                    changed.signalAll();
                }
            }
            int size = 0;
            while (!queue.isEmpty()) {
                Call<I, O> next = queue.peekFirst();
                if (!batch.isEmpty() && size + next.items.size() > maxBatch) {
                    break;
                }
                queue.pollFirst();
                next.taken = true;
                queuedItems -= next.items.size();
                size += next.items.size();
                batch.add(next);
            }
            if (batch.isEmpty()) {
                return interrupted;
            }
            batches++;
            if (idle) {
                immediateBatches++;
            }
            items += size;
            largestBatch = Math.max(largestBatch, size);
            lock.unlock();
            try {
                run(batch, own);
            } finally {
                lock.lock();
            }
        } finally {
            running--;
            leaders.remove(Thread.currentThread());
            changed.signalAll();
        }
        return interrupted;
    }

    /** Runs a batch without the lock held and settles every call in it (done, or back in the queue). */
    private void run(List<Call<I, O>> batch, Call<I, O> own) {
        try {
            List<I> all;
            if (batch.size() == 1) {
                all = batch.get(0).items;
            } else {
                all = new ArrayList<>();
                for (Call<I, O> c : batch) {
                    all.addAll(c.items);
                }
            }
            List<O> out = apply(all);
            int from = 0;
            for (Call<I, O> c : batch) {
                c.results = Collections.unmodifiableList(new ArrayList<>(out.subList(from, from + c.items.size())));
                from += c.items.size();
            }
            settle(batch);
        } catch (ScanTimeoutException e) {
            if (ScanDeadline.remainingNanos() > 0 || (batch.size() == 1 && batch.get(0) == own)) {
                fail(batch, e);
                return;
            }
            // The leader's deadline stopped a batch that carried other callers' calls: only the
            // leader's own call has run out of time; the others go back to the front of the queue.
            lock.lock();
            try {
                for (int i = batch.size() - 1; i >= 0; i--) {
                    Call<I, O> c = batch.get(i);
                    if (c == own) {
                        c.error = e;
                        c.done = true;
                    } else {
                        c.taken = false;
                        queue.addFirst(c);
                        queuedItems += c.items.size();
                    }
                }
                arrived.signalAll();
            } finally {
                lock.unlock();
            }
        } catch (RuntimeException e) {
            if (batch.size() == 1) {
                fail(batch, e);
                return;
            }
            // Some input of some call failed the batch: run each call alone so the failure reaches
            // only the call it belongs to.
            for (Call<I, O> c : batch) {
                try {
                    c.results = Collections.unmodifiableList(new ArrayList<>(apply(c.items)));
                } catch (RuntimeException single) {
                    c.error = single;
                } catch (Error fatal) {
                    c.error = fatal;
                }
            }
            lock.lock();
            try {
                isolatedRetries++;
            } finally {
                lock.unlock();
            }
            settle(batch);
        } catch (Error e) {
            // every caller of the batch gets it, in its own thread (the leader's own call included)
            fail(batch, e);
        }
    }

    private List<O> apply(List<I> in) {
        List<O> out = function.apply(in);
        if (out == null || out.size() != in.size()) {
            throw new IllegalStateException(name + ": the batch function returned " + (out == null ? "null" : out.size() + " results")
                    + " for " + in.size() + " items");
        }
        return out;
    }

    private void fail(List<Call<I, O>> batch, Throwable e) {
        for (Call<I, O> c : batch) {
            c.error = e;
        }
        settle(batch);
    }

    private void settle(List<Call<I, O>> batch) {
        lock.lock();
        try {
            for (Call<I, O> c : batch) {
                c.done = true;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }

    public String name() {
        return name;
    }

    public Duration maxWait() {
        return Duration.ofNanos(maxWaitNanos);
    }

    public int maxBatch() {
        return maxBatch;
    }

    public int lanes() {
        return lanes;
    }

    public Stats stats() {
        lock.lock();
        try {
            return new Stats(calls, batches, items, largestBatch, immediateBatches, isolatedRetries);
        } finally {
            lock.unlock();
        }
    }

    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Refuses new calls, fails the queued ones with an {@link IllegalStateException}, and waits for
     * running batches to finish, so that what the function uses can be closed next. Idempotent.
     *
     * @throws IllegalStateException if called from inside the batch function, which would wait for itself
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (leaders.contains(Thread.currentThread())) {
                throw new IllegalStateException(name + ".close() called from inside its own batch function; it would wait for itself forever");
            }
            if (!closed) {
                closed = true;
                IllegalStateException rejected = new IllegalStateException(name + " was closed before this call ran");
                for (Call<I, O> c : queue) {
                    c.error = rejected;
                    c.done = true;
                }
                queue.clear();
                queuedItems = 0;
                arrived.signalAll();
                changed.signalAll();
            }
            while (running > 0) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "MicroBatcher{" + name + ", maxWait=" + TimeUnit.NANOSECONDS.toMicros(maxWaitNanos) + "us, maxBatch=" + maxBatch
                + ", lanes=" + lanes + '}';
    }

    /** One caller's items and what became of them; fields guarded by the batcher's lock. */
    private static final class Call<I, O> {
        final List<I> items;
        final long arrival;
        boolean taken;
        boolean done;
        List<O> results;
        Throwable error;

        Call(List<I> items, long arrival) {
            this.items = items;
            this.arrival = arrival;
        }
    }

    /** Settings for a {@link MicroBatcher}; each setter validates at once and names the setting. */
    public static final class Builder<I, O> {
        private final BatchFunction<I, O> function;
        private String name = "micro-batcher";
        private Duration maxWait = DEFAULT_MAX_WAIT;
        private int maxBatch = DEFAULT_MAX_BATCH;
        private int lanes = DEFAULT_LANES;

        private Builder(BatchFunction<I, O> function) {
            this.function = Objects.requireNonNull(function, "function");
        }

        /** Used in exception messages. */
        public Builder<I, O> name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            this.name = name;
            return this;
        }

        /**
         * How long the oldest queued call may wait for more calls to join its batch, in [0, 1 s];
         * default 2 ms. Zero batches only the calls that queued while every lane was busy.
         */
        public Builder<I, O> maxWait(Duration maxWait) {
            Objects.requireNonNull(maxWait, "maxWait");
            if (maxWait.isNegative() || maxWait.compareTo(MAX_MAX_WAIT) > 0) {
                throw new IllegalArgumentException("maxWait must be in [0, " + MAX_MAX_WAIT.toMillis() + " ms], got " + maxWait.toNanos() / 1000 + " us");
            }
            this.maxWait = maxWait;
            return this;
        }

        /** Items one batch may hold, at least 1; default 32. A single larger call still runs, alone. */
        public Builder<I, O> maxBatch(int maxBatch) {
            if (maxBatch < 1) {
                throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
            }
            this.maxBatch = maxBatch;
            return this;
        }

        /** Batches that may run at once, at least 1; default 1. One per core with single-threaded sessions. */
        public Builder<I, O> lanes(int lanes) {
            if (lanes < 1) {
                throw new IllegalArgumentException("lanes must be >= 1, got " + lanes);
            }
            this.lanes = lanes;
            return this;
        }

        public MicroBatcher<I, O> build() {
            return new MicroBatcher<>(this);
        }
    }
}
