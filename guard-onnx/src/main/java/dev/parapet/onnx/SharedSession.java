package dev.parapet.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import dev.parapet.core.ModelLoadException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One ONNX Runtime session per (model file, execution provider, thread settings), shared by every
 * classifier or encoder built on it and reference counted.
 *
 * <p>{@code OrtSession.run} is thread-safe, but closing a session while a run is in progress frees
 * native memory under it, and a second close throws. Runs therefore hold a read lock and the final
 * close takes the write lock, so it waits for runs in flight; a run that starts after the close
 * gets an {@link IllegalStateException}.
 */
final class SharedSession {
    private static final Logger LOG = LoggerFactory.getLogger(SharedSession.class);
    private static final Map<String, SharedSession> OPEN = new HashMap<>();

    private final String key;
    private final String modelName;
    private final OrtSession session;
    private final ExecutionProvider provider;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock(true);
    private int references;
    private boolean closed;

    private SharedSession(String key, String modelName, OrtSession session, ExecutionProvider provider) {
        this.key = key;
        this.modelName = modelName;
        this.session = session;
        this.provider = provider;
    }

    /** The shared session for this model and options, created on first use. Release it with {@link #release()}. */
    static SharedSession acquire(ModelSource source, RuntimeOptions options) {
        return acquire(source, options, Taps.NONE);
    }

    /**
     * The shared session for this model, options and exposed intermediate outputs ({@link GraphOutputs});
     * sessions with different taps are different sessions.
     */
    static SharedSession acquire(ModelSource source, RuntimeOptions options, Taps taps) {
        String key = source.id() + "|" + options.sessionKey() + (taps.names().isEmpty() ? "" : "|taps=" + taps.names());
        synchronized (OPEN) {
            SharedSession existing = OPEN.get(key);
            if (existing != null) {
                existing.references++;
                return existing;
            }
            SharedSession created = open(key, source, options, taps);
            created.references = 1;
            OPEN.put(key, created);
            return created;
        }
    }

    /** Number of distinct live sessions; for tests of sharing. */
    static int openSessions() {
        synchronized (OPEN) {
            return OPEN.size();
        }
    }

    private static SharedSession open(String key, ModelSource source, RuntimeOptions options, Taps taps) {
        NativeDefaults.apply();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        ExecutionProvider requested = options.provider();
        if (requested.kind() == ExecutionProvider.Kind.CUDA) {
            try {
                return new SharedSession(key, source.modelName(), create(env, source, options, requested, taps), requested);
            } catch (OrtException | RuntimeException e) {
                if (options.strictProvider()) {
                    throw new ModelLoadException("CUDA device " + requested.deviceId() + " was requested with strictProvider(true) for "
                            + source.modelName() + " but is unavailable: " + e.getMessage()
                            + " (build with -Pgpu for onnxruntime_gpu, check the CUDA/cuDNN install, or drop strictProvider)", e);
                }
                LOG.warn("CUDA device {} unavailable for {} ({}); running on CPU", requested.deviceId(), source.modelName(), firstLine(e.getMessage()));
            }
        }
        try {
            return new SharedSession(key, source.modelName(), create(env, source, options, ExecutionProvider.cpu(), taps), ExecutionProvider.cpu());
        } catch (OrtException | RuntimeException e) {
            if (!taps.names().isEmpty()) {
                throw new ModelLoadException("cannot load ONNX model " + source.modelName() + " with intermediate outputs " + taps.names()
                        + ": expected a valid ONNX graph that computes tensors of those names (is the file truncated or not an .onnx file,"
                        + " or was the head trained on another encoder?): " + firstLine(e.getMessage()), e);
            }
            throw new ModelLoadException("cannot load ONNX model " + source.modelName()
                    + ": expected a valid ONNX graph (is the file truncated or not an .onnx file?): " + firstLine(e.getMessage()), e);
        }
    }

    private static OrtSession create(OrtEnvironment env, ModelSource source, RuntimeOptions options, ExecutionProvider provider,
                                     Taps taps) throws OrtException {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
             OrtCUDAProviderOptions cuda = provider.kind() == ExecutionProvider.Kind.CUDA ? new OrtCUDAProviderOptions(provider.deviceId()) : null) {
            so.setIntraOpNumThreads(options.intraOpThreads());
            so.setInterOpNumThreads(options.interOpThreads());
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (cuda != null) {
                // TF32 is ONNX Runtime's default on Ampere and later; full float32 keeps the scores of the CPU
                cuda.add("use_tf32", options.cudaTf32() ? "1" : "0");
                so.addCUDA(cuda);
            }
            if (!taps.names().isEmpty()) {
                return env.createSession(GraphOutputs.expose(source.readModelBytes(), taps.names()), so);
            }
            if (source.modelPath().isPresent()) {
                return env.createSession(source.modelPath().get().toString(), so);
            }
            return env.createSession(source.readModelBytes(), so);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "no message";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Intermediate tensors to expose as extra outputs; {@link #NONE} for the graph as it is. */
    record Taps(java.util.List<String> names) {
        static final Taps NONE = new Taps(java.util.List.of());

        Taps {
            names = java.util.List.copyOf(names);
        }
    }

    ExecutionProvider provider() {
        return provider;
    }

    String modelName() {
        return modelName;
    }

    Set<String> inputNames() {
        return session.getInputNames();
    }

    Set<String> outputNames() {
        return session.getOutputNames();
    }

    /** The static shape of an output, with -1 for dynamic dimensions, or {@code null} if not a tensor. */
    long[] outputShape(String name) {
        try {
            NodeInfo info = session.getOutputInfo().get(name);
            if (info != null && info.getInfo() instanceof TensorInfo t) {
                return t.getShape();
            }
            return null;
        } catch (OrtException e) {
            throw new ModelLoadException("cannot read output info of " + modelName + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs the session asking only for {@code outputs}. The caller closes the result. Throws
     * {@link IllegalStateException} once the session is closed.
     */
    OrtSession.Result run(Map<String, OnnxTensor> inputs, Set<String> outputs, OrtSession.RunOptions runOptions) throws OrtException {
        ReentrantReadWriteLock.ReadLock lock = lifecycle.readLock();
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("model " + modelName + " is closed");
            }
            return runOptions == null ? session.run(inputs, outputs) : session.run(inputs, outputs, runOptions);
        } finally {
            lock.unlock();
        }
    }

    /** Drops one reference; the last one closes the native session after runs in flight finish. */
    void release() {
        synchronized (OPEN) {
            if (--references > 0) {
                return;
            }
            OPEN.remove(key, this);
        }
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                try {
                    session.close();
                } catch (OrtException e) {
                    LOG.warn("closing ONNX session for {} failed: {}", modelName, e.getMessage());
                }
            }
        } finally {
            lifecycle.writeLock().unlock();
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

    static Map<String, Integer> referenceCounts() {
        synchronized (OPEN) {
            Map<String, Integer> m = new HashMap<>();
            OPEN.forEach((k, v) -> m.put(k, v.references));
            return m;
        }
    }
}
