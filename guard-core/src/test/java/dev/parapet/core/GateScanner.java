package dev.parapet.core;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Signals when a scan has entered and holds it until released; fails the scan if it was closed
 * meanwhile, the way an ONNX session would be used after free.
 */
final class GateScanner extends RecordingScanner {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private volatile boolean closed;

    GateScanner(String name) {
        super(name);
    }

    @Override
    protected ScanResult judge(ScanInput input) {
        entered.countDown();
        try {
            if (!release.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
        if (closed) {
            throw new IllegalStateException("scanner used after close");
        }
        return ScanResult.builder(name(), input.stage()).build();
    }

    @Override
    public void close() {
        closed = true;
        super.close();
    }
}
