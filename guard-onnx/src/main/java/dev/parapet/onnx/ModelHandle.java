package dev.parapet.onnx;

import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What a classifier or encoder holds: one reference to a shared session plus its own tokenizer.
 *
 * <p>Both are native resources: freeing either while another thread tokenizes or runs is a
 * use-after-free. Every call therefore runs under a read lock ({@link #use}); {@link #close()}
 * takes the write lock, so it waits for calls in flight, and is idempotent. The session itself
 * closes when its last holder closes.
 */
final class ModelHandle implements AutoCloseable {
    final SharedSession session;
    final TextTokenizer tokenizer;
    final BatchRunner runner;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock(true);
    private boolean closed;

    private ModelHandle(SharedSession session, TextTokenizer tokenizer, BatchRunner runner) {
        this.session = session;
        this.tokenizer = tokenizer;
        this.runner = runner;
    }

    static ModelHandle open(ModelSource source, RuntimeOptions options, int maxLength, int stride,
                            Function<SharedSession, String> outputChooser) {
        return open(source, options, maxLength, stride, List.of(), outputChooser);
    }

    /**
     * As {@link #open(ModelSource, RuntimeOptions, int, int, Function)}, with the intermediate tensors
     * {@code taps} exposed as outputs and requested in every run after the chosen main output.
     */
    static ModelHandle open(ModelSource source, RuntimeOptions options, int maxLength, int stride, List<String> taps,
                            Function<SharedSession, String> outputChooser) {
        TextTokenizer tokenizer = TextTokenizer.load(source, maxLength, stride);
        SharedSession session;
        try {
            session = SharedSession.acquire(source, options, new SharedSession.Taps(taps));
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        try {
            String output = outputChooser.apply(session);
            List<String> outputs = new java.util.ArrayList<>(1 + taps.size());
            outputs.add(output);
            for (String t : taps) {
                if (!t.equals(output)) {
                    outputs.add(t);
                }
            }
            return new ModelHandle(session, tokenizer, new BatchRunner(session, outputs, options));
        } catch (RuntimeException e) {
            session.release();
            tokenizer.close();
            throw e;
        }
    }

    /** Runs {@code work} unless closed; close waits for it. */
    <T> T use(Supplier<T> work) {
        ReentrantReadWriteLock.ReadLock lock = lifecycle.readLock();
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("model " + session.modelName() + " is closed");
            }
            return work.get();
        } finally {
            lock.unlock();
        }
    }

    boolean isClosed() {
        lifecycle.readLock().lock();
        try {
            return closed;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            session.release();
            tokenizer.close();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
