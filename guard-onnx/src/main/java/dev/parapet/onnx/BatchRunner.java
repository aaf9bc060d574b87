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
 * by length (longest first), packed greedily into batches of at most {@code maxBatchSize} rows and
 * {@code maxBatchTokens} padded tokens, padded to the longest row of their batch only, and written
 * into direct, native-order buffers that ONNX Runtime reads without a copy. Only the one output
 * the caller reads is requested.
 */
final class BatchRunner {
    /** Reads one row of a batch's output into the caller's result vector. */
    interface RowReader {
        float[] read(FloatBuffer output, long[] shape, int row, Window window);
    }

    private static final ThreadLocal<ByteBuffer[]> SCRATCH = ThreadLocal.withInitial(() -> new ByteBuffer[3]);
    /** Sets the terminate flag of runs that reach their scanner's deadline (see ScanDeadline). */
    private static final java.util.concurrent.ScheduledExecutorService WATCHDOG =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "parapet-onnx-deadline");
                t.setDaemon(true);
                return t;
            });

    private final SharedSession session;
    private final String output;
    private final Set<String> outputs;
    private final RuntimeOptions options;
    private final boolean feedMask;
    private final boolean feedTypes;

    BatchRunner(SharedSession session, String output, RuntimeOptions options) {
        this.session = session;
        this.output = output;
        this.outputs = Set.of(output);
        this.options = options;
        Set<String> inputs = session.inputNames();
        if (!inputs.contains("input_ids")) {
            throw new dev.parapet.core.ModelLoadException(session.modelName() + ": the graph has no 'input_ids' input (inputs: "
                    + inputs + "); expected a Hugging Face-exported transformer");
        }
        this.feedMask = inputs.contains("attention_mask");
        this.feedTypes = inputs.contains("token_type_ids");
    }

    /** One result vector per window, in the order of {@code windows}. */
    float[][] run(List<Window> windows, RowReader reader) {
        float[][] results = new float[windows.size()][];
        if (windows.isEmpty()) {
            return results;
        }
        Integer[] order = new Integer[windows.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, Comparator.comparingInt((Integer i) -> windows.get(i).length()).reversed());
        List<Integer> batch = new ArrayList<>();
        int batchLen = 0;
        for (Integer idx : order) {
            int len = windows.get(idx).length();
            int padded = Math.max(batchLen, len);
            if (!batch.isEmpty() && (batch.size() + 1 > options.maxBatchSize()
                    || (long) (batch.size() + 1) * padded > options.maxBatchTokens())) {
                runBatch(windows, batch, batchLen, reader, results);
                batch.clear();
                padded = len;
            }
            batch.add(idx);
            batchLen = padded;
        }
        runBatch(windows, batch, batchLen, reader, results);
        return results;
    }

    private void runBatch(List<Window> windows, List<Integer> rows, int len, RowReader reader, float[][] results) {
        dev.parapet.core.ScanDeadline.check("ONNX run on " + session.modelName());
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
            long remaining = dev.parapet.core.ScanDeadline.remainingNanos();
            Terminator terminator = remaining == Long.MAX_VALUE ? null : new Terminator(new OrtSession.RunOptions());
            java.util.concurrent.ScheduledFuture<?> alarm = terminator == null ? null
                    : WATCHDOG.schedule(terminator::terminate, Math.max(0, remaining), java.util.concurrent.TimeUnit.NANOSECONDS);
            try {
            try (OrtSession.Result result = session.run(inputs, outputs, terminator == null ? null : terminator.options)) {
                OnnxValue value = result.get(output).orElseThrow(() ->
                        new ParapetException(session.modelName() + " returned no output '" + output + "'"));
                if (!(value instanceof OnnxTensor tensor)) {
                    throw new ParapetException(session.modelName() + ": output '" + output + "' is not a tensor");
                }
                long[] outShape = tensor.getInfo().getShape();
                FloatBuffer fb = tensor.getFloatBuffer();
                if (fb == null) {
                    throw new ParapetException(session.modelName() + ": output '" + output + "' is "
                            + tensor.getInfo().type + ", expected float");
                }
                for (int r = 0; r < n; r++) {
                    results[rows.get(r)] = reader.read(fb, outShape, r, windows.get(rows.get(r)));
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
            if (dev.parapet.core.ScanDeadline.remainingNanos() <= 0) {
                throw new dev.parapet.core.ScanTimeoutException("ONNX run on " + session.modelName() + " terminated at the scanner's deadline ("
                        + dev.parapet.core.ScanDeadline.budget().toMillis() + " ms, Guard.Builder.scannerTimeout)", e);
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
