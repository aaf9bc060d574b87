package dev.parapet.core;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The executor a guard makes for itself when the user gave none. */
final class DetectorPool {
    private static final AtomicInteger POOLS = new AtomicInteger();

    private DetectorPool() {
    }

    /**
     * A fixed pool of daemon threads, idle threads ending after a while so a guard that sits unused
     * holds no threads, and daemon so a guard someone forgot to close never keeps the JVM alive.
     */
    static ThreadPoolExecutor create(int threads) {
        int pool = POOLS.incrementAndGet();
        AtomicInteger thread = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, "parapet-guard-" + pool + "-detector-" + thread.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), factory);
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }
}
