package dev.parapet.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Tokenization of a batch: one DJL {@code batchEncode} of 32 short texts with the default encoder's
 * tokenizer, set up as Parapet sets it up (no padding, 256-token windows with overflow). Texts/s.
 * This is the first step of every model scanner call; compare it with {@link OnnxRunBenchmark} to
 * see what share of a call tokenization is.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx2g", "-DOPT_OUT_TRACKING=true", "-DRUST_FLAVOR=cpu", "-Dai.djl.offline=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"})
public class TokenizerBenchmark {
    static final int BATCH = 32;

    private HuggingFaceTokenizer tokenizer;

    @Setup(Level.Trial)
    public void setUp() {
        tokenizer = DefaultEncoderFiles.windowedTokenizer();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        tokenizer.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Encoding[] batchEncode(TextCursor cursor) {
        List<String> texts = BenchTexts.shortTexts(cursor.advance(BATCH), BATCH);
        return tokenizer.batchEncode(texts);
    }
}
