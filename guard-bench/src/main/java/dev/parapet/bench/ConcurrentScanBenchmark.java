package dev.parapet.bench;

import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.models.DefaultModels;
import dev.parapet.onnx.MicroBatcher;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.scanners.HeadScanner;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Concurrent single-text calls: 1, 4 or 16 request threads each scanning one short text at a time
 * with the default toxicity scanner, with and without a {@link MicroBatcher} in front of it.
 *
 * <p>{@code microBatch=off}: every thread calls {@code scanner.scan(input)}, so each call is its own
 * ONNX run of one row and concurrent calls run side by side on the shared session.
 * {@code microBatch=on}: every thread calls {@code batcher.call(input)}, where the batcher wraps
 * {@code scanner::scanAll} ({@code maxWaitMicros}, {@code maxBatch}, {@code lanes}), so concurrent
 * calls are coalesced into one {@code scanAll}, i.e. one encoder call.
 *
 * <p>Sample-time mode: the score is the mean latency of one call, with JMH's percentiles (p0.99 is
 * the p99 latency). Throughput of the whole process is {@code threads / mean latency}. All threads
 * draw texts from one shared counter over {@link BenchTexts#SHORT_POOL}, so no text repeats within
 * 4,096 calls and the encoder's memo never answers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx2g", "-DOPT_OUT_TRACKING=true", "-DRUST_FLAVOR=cpu", "-Dai.djl.offline=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"})
public class ConcurrentScanBenchmark {
    @Param({"off", "on"})
    String microBatch;

    @Param({"1"})
    int intraOpThreads;

    @Param({"2000"})
    int maxWaitMicros;

    @Param({"32"})
    int maxBatch;

    /** Batches that may run at once: one per core with one intra-op thread. */
    @Param({"2"})
    int lanes;

    private DefaultModels models;
    private HeadScanner scanner;
    private MicroBatcher<ScanInput, ScanResult> batcher;
    private final AtomicInteger next = new AtomicInteger();

    @Setup(Level.Trial)
    public void setUp() {
        BenchModels.offlineDjl();
        if (!microBatch.equals("on") && !microBatch.equals("off")) {
            throw new IllegalArgumentException("microBatch must be on or off, got " + microBatch);
        }
        RuntimeOptions options = RuntimeOptions.builder().intraOpThreads(intraOpThreads).build();
        models = DefaultModels.load(options, DefaultModels.DEFAULT_WINDOW_TOKENS);
        scanner = models.toxicityScanner().build();
        batcher = MicroBatcher.<ScanInput, ScanResult>builder(scanner::scanAll)
                .name("toxicity micro-batcher")
                .maxWait(Duration.ofNanos(maxWaitMicros * 1000L))
                .maxBatch(maxBatch)
                .lanes(lanes)
                .build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        MicroBatcher.Stats stats = batcher.stats();
        if (stats.batches() > 0) {
            // one line in JMH's log: how much coalescing actually happened
            System.out.printf("%nmicro-batcher: %d calls in %d batches, mean batch %.1f, largest %d, %d ran at once%n",
                    stats.calls(), stats.batches(), stats.meanBatchSize(), stats.largestBatch(), stats.immediateBatches());
        }
        batcher.close();
        scanner.close();
        models.close();
    }

    private ScanResult scanOne() {
        ScanInput input = ScanInput.prompt(BenchTexts.prompt(next.getAndIncrement()));
        return microBatch.equals("on") ? batcher.call(input) : scanner.scan(input);
    }

    @Benchmark
    @Threads(1)
    public ScanResult threads1() {
        return scanOne();
    }

    @Benchmark
    @Threads(4)
    public ScanResult threads4() {
        return scanOne();
    }

    @Benchmark
    @Threads(16)
    public ScanResult threads16() {
        return scanOne();
    }
}
