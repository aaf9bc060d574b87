package dev.parapet.train;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Small dense-vector kernels and a deterministic fork/join over row ranges. Loops are written as
 * {@code y += a·x} (which the JIT vectorises) or as dot products with independent accumulators.
 * Parallel work is split into a fixed number of contiguous parts that are combined in part order,
 * so results do not depend on thread timing.
 */
final class Numeric {
    private static volatile ExecutorService pool;
    private static volatile int poolSize;

    private Numeric() {
    }

    static double dot(float[] a, int aOff, float[] b, int bOff, int n) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[aOff + i] * b[bOff + i];
            s1 += a[aOff + i + 1] * b[bOff + i + 1];
            s2 += a[aOff + i + 2] * b[bOff + i + 2];
            s3 += a[aOff + i + 3] * b[bOff + i + 3];
        }
        for (; i < n; i++) {
            s0 += a[aOff + i] * b[bOff + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    static double dot(float[] a, float[] b) {
        return dot(a, 0, b, 0, a.length);
    }

    /** {@code y[yOff..] += a * x[xOff..]} over {@code n} entries. */
    static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    static double sigmoid(double z) {
        return z >= 0 ? 1.0 / (1.0 + Math.exp(-z)) : Math.exp(z) / (1.0 + Math.exp(z));
    }

    /** {@code log(1 + e^z)} without overflow. */
    static double softplus(double z) {
        return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    }

    interface RangeTask<T> {
        T run(int from, int to);
    }

    /**
     * Runs {@code task} on {@code parts} contiguous ranges of {@code [0, n)} and returns the results
     * in range order. The split depends only on {@code n} and {@code parts}.
     */
    static <T> List<T> split(int n, int parts, RangeTask<T> task) {
        int p = Math.max(1, Math.min(parts, n));
        List<T> out = new ArrayList<>(p);
        if (p == 1) {
            out.add(task.run(0, n));
            return out;
        }
        ExecutorService ex = pool(p);
        List<Future<T>> futures = new ArrayList<>(p);
        for (int k = 0; k < p; k++) {
            int from = (int) ((long) n * k / p);
            int to = (int) ((long) n * (k + 1) / p);
            futures.add(ex.submit(() -> task.run(from, to)));
        }
        try {
            for (Future<T> f : futures) {
                out.add(f.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
        return out;
    }

    private static ExecutorService pool(int size) {
        if (pool == null || poolSize < size) {
            synchronized (Numeric.class) {
                if (pool == null || poolSize < size) {
                    ExecutorService old = pool;
                    pool = Executors.newFixedThreadPool(size, r -> {
                        Thread t = new Thread(r, "parapet-train");
                        t.setDaemon(true);
                        return t;
                    });
                    poolSize = size;
                    if (old != null) {
                        old.shutdown();
                    }
                }
            }
        }
        return pool;
    }
}
