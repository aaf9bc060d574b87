package dev.parapet.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.parapet.core.ParapetException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs windows through a session in as few ONNX runs as the token budget allows: windows are sorted
 * by length (longest first), packed greedily into batches of at most {@code maxBatchSize} rows,
 * {@code maxBatchTokens} padded tokens and {@code maxPaddingFraction} padding, padded to the
 * longest row of their batch only, run {@code parallelRuns} at a time, and written into direct,
 * native-order buffers that ONNX Runtime reads without a copy. Only the outputs
 * the caller reads are requested.
 */
final class BatchRunner {
    /** Reads one row of a batch's output into the caller's result vector. */
    interface RowReader {
        float[] read(FloatBuffer output, long[] shape, int row, Window window);
    }

    /** Reads one row from every requested output (in the runner's output order; all of one shape). */
    interface OutputsReader {
        float[] read(FloatBuffer[] outputs, long[] shape, int row, Window window);
    }

    private static final ThreadLocal<ByteBuffer[]> SCRATCH = ThreadLocal.withInitial(() -> new ByteBuffer[3]);
    /** Sets the terminate flag of runs that reach their scanner's deadline (see ScanDeadline). */
    private static final java.util.concurrent.ScheduledExecutorService WATCHDOG =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "parapet-onnx-deadline");
                t.setDaemon(true);
                return t;
            });

    /** Threads that run a call's further batches while its caller runs the first (RuntimeOptions.parallelRuns). */
    private static final java.util.concurrent.ThreadPoolExecutor HELPERS = helpers();

    private final SharedSession session;
    private final List<String> outputList;
    private final Set<String> outputs;
    private final RuntimeOptions options;
    private final boolean feedMask;
    private final boolean feedTypes;

    BatchRunner(SharedSession session, String output, RuntimeOptions options) {
        this(session, List.of(output), options);
    }

    /** Requests every output in {@code outputs} in each run (the first is the main one). */
    BatchRunner(SharedSession session, List<String> outputs, RuntimeOptions options) {
        this.session = session;
        this.outputList = List.copyOf(outputs);
        this.outputs = new java.util.LinkedHashSet<>(outputList);
        if (this.outputs.size() != outputList.size() || outputList.isEmpty()) {
            throw new IllegalArgumentException("outputs must be distinct and non-empty, got " + outputs);
        }
        this.options = options;
        Set<String> inputs = session.inputNames();
        if (!inputs.contains("input_ids")) {
            throw new dev.parapet.core.ModelLoadException(session.modelName() + ": the graph has no 'input_ids' input (inputs: "
                    + inputs + "); expected a Hugging Face-exported transformer");
        }
        this.feedMask = inputs.contains("attention_mask");
        this.feedTypes = inputs.contains("token_type_ids");
    }

    /** One result vector per window, in the order of {@code windows}, read from the main output. */
    float[][] run(List<Window> windows, RowReader reader) {
        return run(windows, (OutputsReader) (outs, shape, row, w) -> reader.read(outs[0], shape, row, w));
    }

    /** One result vector per window, in the order of {@code windows}, read from all outputs. */
    float[][] run(List<Window> windows, OutputsReader reader) {
        float[][] results = new float[windows.size()][];
        if (windows.isEmpty()) {
            return results;
        }
        Integer[] order = new Integer[windows.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Comparator<Integer> longestFirst = Comparator.comparingInt((Integer i) -> windows.get(i).length()).reversed();
        boolean across = options.batchAcrossTexts();
        // Unless texts may share runs, each text's windows are packed on their own (grouped by
        // owner, longest first within a text), so a text's scores do not depend on its companions.
        java.util.Arrays.sort(order, across ? longestFirst
                : Comparator.comparingInt((Integer i) -> windows.get(i).owner()).thenComparing(longestFirst));
        List<Batch> batches = new ArrayList<>();
        List<Integer> batch = new ArrayList<>();
        int batchLen = 0;
        long batchReal = 0;
        double maxPadded = 1.0 + options.maxPaddingFraction();
        for (Integer idx : order) {
            int len = windows.get(idx).length();
            int padded = Math.max(batchLen, len);
            long cells = (long) (batch.size() + 1) * padded;
            // Rows are longest first, so a row joins a batch padded to the batch's first row. A run
            // costs a fixed overhead plus work per padded cell: a row much shorter than the batch
            // is cheaper in a run of its own than as padding.
            boolean otherText = !across && !batch.isEmpty() && windows.get(batch.get(0)).owner() != windows.get(idx).owner();
            if (!batch.isEmpty() && (otherText || batch.size() + 1 > options.maxBatchSize() || cells > options.maxBatchTokens()
                    || cells > maxPadded * (batchReal + len))) {
                batches.add(new Batch(List.copyOf(batch), batchLen));
                batch.clear();
                batchReal = 0;
                padded = len;
            }
            batch.add(idx);
            batchLen = padded;
            batchReal += len;
        }
        batches.add(new Batch(List.copyOf(batch), batchLen));
        // The caller's scanner deadline, carried to helper threads explicitly (ScanDeadline is per thread).
        long remaining = dev.parapet.core.ScanDeadline.remainingNanos();
        long deadline = remaining == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + remaining;
        java.time.Duration budget = dev.parapet.core.ScanDeadline.budget();
        int lanes = Math.min(options.parallelRuns(), batches.size());
        if (lanes <= 1) {
            for (Batch b : batches) {
                runBatch(windows, b.rows(), b.length(), reader, results, deadline, budget);
            }
        } else {
            runParallel(windows, batches, lanes, reader, results, deadline, budget);
        }
        return results;
    }

    /** The rows of one ONNX run (indexes into the call's windows) and the length they are padded to. */
    private record Batch(List<Integer> rows, int length) {
    }

    /**
     * Runs the batches on the calling thread and up to {@code lanes - 1} helpers, each taking the
     * next batch not yet taken: with one intra-op thread per run, this is how one call keeps
     * several cores busy. The caller never waits for a helper that has not started (it takes the
     * batches itself), so a busy helper pool only makes the call less parallel, never stuck.
     */
    private void runParallel(List<Window> windows, List<Batch> batches, int lanes, OutputsReader reader, float[][] results,
                             long deadline, java.time.Duration budget) {
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(batches.size());
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Runnable worker = () -> {
            for (int i; (i = next.getAndIncrement()) < batches.size(); ) {
                try {
                    if (failure.get() == null) {
                        Batch b = batches.get(i);
                        runBatch(windows, b.rows(), b.length(), reader, results, deadline, budget);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    finished.countDown();
                }
            }
        };
        for (int h = 1; h < lanes; h++) {
            try {
                HELPERS.execute(worker);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                break;
            }
        }
        worker.run();
        boolean interrupted = false;
        while (true) {
            try {
                finished.await();
                break;
            } catch (InterruptedException e) {
                // helpers are writing into results: wait for them, then restore the flag
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new ParapetException("ONNX run on " + session.modelName() + " failed", t);
        }
    }

    private void runBatch(List<Window> windows, List<Integer> rows, int len, OutputsReader reader, float[][] results,
                          long deadline, java.time.Duration budget) {
        if (deadline != Long.MAX_VALUE && deadline - System.nanoTime() <= 0) {
            throw new dev.parapet.core.ScanTimeoutException("ONNX run on " + session.modelName() + " stopped: the scanner's time budget of "
                    + budget.toMillis() + " ms is spent (Guard.Builder.scannerTimeout)");
        }
        int n = rows.size();
        int cells = n * len;
        ByteBuffer[] scratch = SCRATCH.get();
        LongBuffer ids = fill(scratch, 0, cells);
        LongBuffer mask = feedMask ? fill(scratch, 1, cells) : null;
        LongBuffer types = feedTypes ? fill(scratch, 2, cells) : null;
        for (int r = 0; r < n; r++) {
            Window w = windows.get(rows.get(r));
            int base = r * len;
            ids.put(base, w.ids());
            if (mask != null) {
                mask.put(base, w.mask());
            }
            if (types != null) {
                types.put(base, w.types());
            }
        }
        long[] shape = {n, len};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, OnnxTensor> inputs = new HashMap<>(4);
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, ids, shape));
            if (mask != null) {
                inputs.put("attention_mask", OnnxTensor.createTensor(env, mask, shape));
            }
            if (types != null) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(env, types, shape));
            }
            long remaining = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - System.nanoTime();
            Terminator terminator = remaining == Long.MAX_VALUE ? null : new Terminator(new OrtSession.RunOptions());
            java.util.concurrent.ScheduledFuture<?> alarm = terminator == null ? null
                    : WATCHDOG.schedule(terminator::terminate, Math.max(0, remaining), java.util.concurrent.TimeUnit.NANOSECONDS);
            try {
            try (OrtSession.Result result = session.run(inputs, outputs, terminator == null ? null : terminator.options)) {
                FloatBuffer[] fbs = new FloatBuffer[outputList.size()];
                long[] outShape = null;
                for (int o = 0; o < fbs.length; o++) {
                    String output = outputList.get(o);
                    OnnxValue value = result.get(output).orElseThrow(() ->
                            new ParapetException(session.modelName() + " returned no output '" + output + "'"));
                    if (!(value instanceof OnnxTensor tensor)) {
                        throw new ParapetException(session.modelName() + ": output '" + output + "' is not a tensor");
                    }
                    long[] shapeO = tensor.getInfo().getShape();
                    if (outShape == null) {
                        outShape = shapeO;
                    } else if (!java.util.Arrays.equals(outShape, shapeO)) {
                        throw new ParapetException(session.modelName() + ": output '" + output + "' has shape " + java.util.Arrays.toString(shapeO)
                                + " but '" + outputList.get(0) + "' has " + java.util.Arrays.toString(outShape));
                    }
                    fbs[o] = tensor.getFloatBuffer();
                    if (fbs[o] == null) {
                        throw new ParapetException(session.modelName() + ": output '" + output + "' is "
                                + tensor.getInfo().type + ", expected float");
                    }
                }
                for (int r = 0; r < n; r++) {
                    results[rows.get(r)] = reader.read(fbs, outShape, r, windows.get(rows.get(r)));
                }
            }
            } finally {
                if (alarm != null) {
                    alarm.cancel(false);
                }
                if (terminator != null) {
                    terminator.close();
                }
            }
        } catch (OrtException e) {
            if (deadline != Long.MAX_VALUE && deadline - System.nanoTime() <= 0) {
                throw new dev.parapet.core.ScanTimeoutException("ONNX run on " + session.modelName() + " terminated at the scanner's deadline ("
                        + budget.toMillis() + " ms, Guard.Builder.scannerTimeout)", e);
            }
            throw new ParapetException("ONNX Runtime failed on " + session.modelName() + " (batch " + n + " x " + len + " tokens): "
                    + e.getMessage(), e);
        } finally {
            for (OnnxTensor t : inputs.values()) {
                t.close();
            }
        }
    }

    /**
     * The run options of one run and the flag the watchdog sets. Both methods lock, so the
     * watchdog never touches options that were already closed (a use-after-free in native code).
     */
    private static final class Terminator {
        final OrtSession.RunOptions options;
        private boolean closed;

        Terminator(OrtSession.RunOptions options) {
            this.options = options;
        }

        synchronized void terminate() {
            if (!closed) {
                try {
                    options.setTerminate(true);
                } catch (OrtException | RuntimeException e) {
                    // the run ends on its own; the deadline check after it reports the timeout
                }
            }
        }

        synchronized void close() {
            if (!closed) {
                closed = true;
                options.close();
            }
        }
    }

    private static java.util.concurrent.ThreadPoolExecutor helpers() {
        java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(threads, threads, 30,
                java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "parapet-onnx-run-" + count.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** A zeroed view of {@code cells} longs over this thread's reusable direct buffer. */
    private static LongBuffer fill(ByteBuffer[] scratch, int slot, int cells) {
        int bytes = cells * Long.BYTES;
        ByteBuffer b = scratch[slot];
        if (b == null || b.capacity() < bytes) {
            b = ByteBuffer.allocateDirect(Math.max(bytes, 64 * 1024)).order(ByteOrder.nativeOrder());
            scratch[slot] = b;
        }
        ByteBuffer view = b.duplicate().order(ByteOrder.nativeOrder());
        view.clear().limit(bytes);
        LongBuffer longs = view.slice().order(ByteOrder.nativeOrder()).asLongBuffer();
        for (int i = 0; i < cells; i++) {
            longs.put(i, 0L);
        }
        return longs;
    }
}
