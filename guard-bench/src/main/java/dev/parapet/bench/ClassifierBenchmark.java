package dev.parapet.bench;

import dev.parapet.core.Guard;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Verdict;
import dev.parapet.onnx.Classification;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.SequenceClassifier;
import dev.parapet.scanners.ClassifierScanner;
import dev.parapet.scanners.ToxicityScanner;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Parapet's hot path on the demo toxicity model (quantized all-MiniLM-L6-v2 encoder, mean pooling
 * and a linear head fused into one ONNX graph), over {@link ShortTexts}, on one ONNX session with
 * {@code intraOpThreads} threads:
 * <ul>
 *   <li>{@link #classifyAll}: texts/s through {@link SequenceClassifier#classifyAll} in calls of
 *       {@code batchSize} texts; tokenization, packing, the ONNX run and softmax included.</li>
 *   <li>{@link #classify}: microseconds for one {@link SequenceClassifier#classify} of one text.</li>
 *   <li>{@link #scannerScanAll}: texts/s through {@link ClassifierScanner#scanAll} in batches of
 *       32, i.e. {@code classifyAll} plus building the scan results and their evidence.</li>
 *   <li>{@link #guardScan}: microseconds for one {@link Guard#scan(String, String)} with the toxicity
 *       scanner on both the prompt and the output: two single-text model runs plus the guard's own
 *       work (limits, stages, verdict).</li>
 * </ul>
 * {@link RawOrtBaselineBenchmark} is the hand-written loop to compare {@code classifyAll} at batch
 * 32 with.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx2g", "-DOPT_OUT_TRACKING=true", "-DRUST_FLAVOR=cpu", "-Dai.djl.offline=true",
        // Keep log lines out of JMH's report: INFO from DJL and Parapet, and the WARN from DJL's GPU probe on
        // hosts with a CUDA library but no usable GPU (the tokenizer is pinned to its CPU build anyway).
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"})
public class ClassifierBenchmark {
    /**
     * Texts one invocation of a throughput benchmark scores. JMH's operations per invocation must be a
     * constant, so every batch size scores the same number of texts per invocation and ops/s reads
     * as texts/s for all of them.
     */
    static final int TEXTS_PER_INVOCATION = 32;

    @Param({"1", "2"})
    int intraOpThreads;

    private SequenceClassifier classifier;
    private ClassifierScanner scanner;
    private Guard guard;
    private List<List<ScanInput>> scanBatches;

    @Setup(Level.Trial)
    public void setUp() {
        BenchModels.offlineDjl();
        Path model = BenchModels.toxicity();
        // No call holds more than TEXTS_PER_INVOCATION texts, so every classifyAll call is exactly one ONNX run
        // (also where guard-onnx packs by padding or runs batches in parallel: both are switched off here).
        RuntimeOptions options = BenchOptions.parse("intraOpThreads=" + intraOpThreads + ";maxBatchSize=" + TEXTS_PER_INVOCATION
                + ";" + BenchOptions.ONE_RUN_PER_CALL);
        classifier = SequenceClassifier.builder(ModelSource.directory(model)).options(options).build();
        // Same model and options, so it shares the classifier's ONNX session rather than opening a second one.
        scanner = ToxicityScanner.builder(ModelSource.directory(model)).options(options).build();
        guard = Guard.builder().inputScanner(scanner).outputScanner(scanner).build();
        scanBatches = new ArrayList<>();
        for (List<String> batch : ShortTexts.batches(TEXTS_PER_INVOCATION)) {
            scanBatches.add(batch.stream().map(ScanInput::prompt).toList());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        // The guard closes the scanner; the classifier holds its own reference to the shared session.
        guard.close();
        classifier.close();
    }

    /** The texts of one invocation, cut in calls of {@code batchSize}, and where the next invocation starts. */
    @State(Scope.Thread)
    public static class Batches {
        @Param({"1", "8", "32"})
        int batchSize;

        private List<List<String>> batches;
        private int next;

        @Setup(Level.Trial)
        public void setUp() {
            if (TEXTS_PER_INVOCATION % batchSize != 0) {
                throw new IllegalArgumentException("batchSize must divide " + TEXTS_PER_INVOCATION + ", got " + batchSize);
            }
            batches = ShortTexts.batches(batchSize);
        }

        List<String> nextBatch() {
            List<String> batch = batches.get(next);
            next = (next + 1) % batches.size();
            return batch;
        }
    }

    /** Where a thread is in a list it cycles through, for the benchmarks that take one text, exchange or fixed batch at a time. */
    @State(Scope.Thread)
    public static class Cursor {
        private int next;

        /** The next index in {@code [0, size)}, wrapping around. */
        int next(int size) {
            int index = next % size;
            next = (index + 1) % size;
            return index;
        }
    }

    @Benchmark
    @OperationsPerInvocation(TEXTS_PER_INVOCATION)
    public void classifyAll(Batches batches, Blackhole bh) {
        for (int scored = 0; scored < TEXTS_PER_INVOCATION; scored += batches.batchSize) {
            bh.consume(classifier.classifyAll(batches.nextBatch()));
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Classification classify(Cursor cursor) {
        return classifier.classify(ShortTexts.ALL.get(cursor.next(ShortTexts.ALL.size())));
    }

    @Benchmark
    @OperationsPerInvocation(TEXTS_PER_INVOCATION)
    public List<ScanResult> scannerScanAll(Cursor cursor) {
        return scanner.scanAll(scanBatches.get(cursor.next(scanBatches.size())));
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Verdict guardScan(Cursor cursor) {
        // A prompt and a different text as the model's answer, so the two stages do not see the same input.
        int i = cursor.next(ShortTexts.ALL.size());
        return guard.scan(ShortTexts.ALL.get(i), ShortTexts.ALL.get((i + 1) % ShortTexts.ALL.size()));
    }
}
