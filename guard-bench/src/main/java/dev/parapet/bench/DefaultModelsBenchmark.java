package dev.parapet.bench;

import dev.parapet.core.Guard;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Verdict;
import dev.parapet.models.DefaultModels;
import dev.parapet.onnx.EncodedText;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.TextEncoder;
import dev.parapet.scanners.HeadScanner;
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

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Parapet's default models end to end: the toxicity, refusal and preference heads on one shared
 * bge-small-en-v1.5-q encoder ({@link DefaultModels}), with the encoder on {@code intraOpThreads}
 * intra-op threads and otherwise the library's default runtime options (or {@code options}).
 * <ul>
 *   <li>{@link #scannerScanAll} (texts/s): the default toxicity scanner's {@code scanAll} over 32
 *       short texts per call.</li>
 *   <li>{@link #guardScan} (µs/call): one {@code Guard.scan(prompt, output)} with the three default
 *       model scanners arranged as {@link DefaultModels#guard()} arranges them (toxicity on the
 *       prompt; toxicity, refusal and preference on the output). The prompt is a short user
 *       message, the output a four-sentence answer.</li>
 *   <li>{@link #encoderPass} (µs/call): one pass of the same encoder over the same two texts
 *       ({@code TextEncoder.encodeWindows(List.of(prompt, output))}, one ONNX run of two rows):
 *       the floor {@code guardScan} is held to.</li>
 *   <li>{@link #longText} (ms/call): the toxicity scanner on one text of 10,000 words (about
 *       13,000 tokens, some 70 windows of 256 tokens).</li>
 * </ul>
 * Texts are never repeated within a few thousand calls (see {@link BenchTexts}), so the shared
 * encoder's memo cannot answer from an earlier call; within one {@code guardScan} call it does what
 * it is for: four heads read two encoder results.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx2g", "-DOPT_OUT_TRACKING=true", "-DRUST_FLAVOR=cpu", "-Dai.djl.offline=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"})
public class DefaultModelsBenchmark {
    static final int TEXTS_PER_INVOCATION = 32;
    static final int LONG_TEXT_WORDS = 10_000;

    @Param({"1", "2"})
    int intraOpThreads;

    /** Further {@link BenchOptions} settings, e.g. {@code maxBatchTokens=8192}; empty for the library defaults. */
    @Param({""})
    String options;

    private DefaultModels models;
    private HeadScanner toxicity;
    private Guard guard;
    private TextEncoder encoder;
    private String longText;

    @Setup(Level.Trial)
    public void setUp() {
        BenchModels.offlineDjl();
        RuntimeOptions runtime = BenchOptions.parse("intraOpThreads=" + intraOpThreads + (options.isBlank() ? "" : ";" + options));
        models = DefaultModels.load(runtime, DefaultModels.DEFAULT_WINDOW_TOKENS);
        toxicity = models.toxicityScanner().build();
        guard = Guard.builder()
                .inputScanner(models.toxicityScanner().build())
                .outputScanner(models.toxicityScanner().build())
                .outputScanner(models.refusalScanner().build())
                .outputScanner(models.preferenceScanner().build())
                .build();
        encoder = models.encoder().encoder();
        longText = BenchTexts.longText(LONG_TEXT_WORDS, 7);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        guard.close();
        toxicity.close();
        models.close();
    }

    @Benchmark
    @OperationsPerInvocation(TEXTS_PER_INVOCATION)
    public List<ScanResult> scannerScanAll(TextCursor cursor) {
        List<String> texts = BenchTexts.shortTexts(cursor.advance(TEXTS_PER_INVOCATION), TEXTS_PER_INVOCATION);
        List<ScanInput> inputs = new ArrayList<>(texts.size());
        for (String t : texts) {
            inputs.add(ScanInput.prompt(t));
        }
        return toxicity.scanAll(inputs);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Verdict guardScan(TextCursor cursor) {
        int i = cursor.next();
        return guard.scan(BenchTexts.prompt(i), BenchTexts.answer(i));
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public List<EncodedText> encoderPass(TextCursor cursor) {
        int i = cursor.next();
        return encoder.encodeWindows(List.of(BenchTexts.prompt(i), BenchTexts.answer(i)));
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public ScanResult longText() {
        return toxicity.scan(ScanInput.prompt(longText));
    }
}
