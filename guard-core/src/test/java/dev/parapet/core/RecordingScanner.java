package dev.parapet.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** A real scanner base that counts its calls and remembers what it saw and on which thread. */
abstract class RecordingScanner implements Scanner {
    private final String name;
    final AtomicInteger scanCalls = new AtomicInteger();
    final AtomicInteger scanAllCalls = new AtomicInteger();
    final AtomicInteger closeCalls = new AtomicInteger();
    final Queue<ScanInput> inputs = new ConcurrentLinkedQueue<>();
    final Queue<String> threads = new ConcurrentLinkedQueue<>();

    RecordingScanner(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    /** The verdict on one input; subclasses implement the actual check. */
    protected abstract ScanResult judge(ScanInput input);

    @Override
    public ScanResult scan(ScanInput input) {
        scanCalls.incrementAndGet();
        record(input);
        return judge(input);
    }

    @Override
    public List<ScanResult> scanAll(List<ScanInput> batch) {
        scanAllCalls.incrementAndGet();
        List<ScanResult> out = new ArrayList<>(batch.size());
        for (ScanInput input : batch) {
            record(input);
            out.add(judge(input));
        }
        return out;
    }

    private void record(ScanInput input) {
        inputs.add(input);
        threads.add(Thread.currentThread().getName());
    }

    @Override
    public void close() {
        closeCalls.incrementAndGet();
    }

    List<String> textsSeen() {
        return inputs.stream().map(ScanInput::text).toList();
    }
}
