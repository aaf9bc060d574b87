package dev.parapet.core;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Counts a shared latch down and waits for it to reach zero: with a latch of N, the scan only
 * reports {@code met=true} when N such scanners were running at the same time. The wait has a
 * timeout so a sequential guard fails the test instead of hanging it.
 */
final class LatchScanner extends RecordingScanner {
    private final CountDownLatch together;

    LatchScanner(String name, CountDownLatch together) {
        super(name);
        this.together = together;
    }

    @Override
    protected ScanResult judge(ScanInput input) {
        together.countDown();
        boolean met;
        try {
            met = together.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            met = false;
        }
        return ScanResult.builder(name(), input.stage()).attribute("met", Boolean.toString(met)).build();
    }
}
