package dev.parapet.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
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

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One ONNX run of the default encoder (bge-small-en-v1.5-q) at {@code batchSize} rows, nothing
 * else: the input tensors are built in setup from tokenized short texts, so an operation is
 * {@code OrtSession.run} asking for {@code last_hidden_state}, and closing its result.
 *
 * <p>The texts come in groups of 32 sorted by length (as Parapet's batch runner sorts a call's
 * windows), and each group is cut into runs of {@code batchSize} rows padded to their longest row,
 * so one invocation does {@code 32 / batchSize} runs over the same 32 texts at every batch size
 * and ops/s reads as texts/s. The session is opened with the options Parapet uses
 * ({@code intraOpThreads}, one inter-op thread, sequential, all graph optimisations).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx2g", "-DOPT_OUT_TRACKING=true", "-DRUST_FLAVOR=cpu", "-Dai.djl.offline=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"})
public class OnnxRunBenchmark {
    static final int TEXTS_PER_INVOCATION = 32;
    /** Groups of 32 prepared; an invocation takes the next group. */
    static final int GROUPS = 16;

    @Param({"1", "8", "32"})
    int batchSize;

    @Param({"1", "2"})
    int intraOpThreads;

    private OrtSession session;
    /** GROUPS x (32 / batchSize) runs, each a map of input tensors. */
    private List<List<Map<String, OnnxTensor>>> groups;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws OrtException {
        if (TEXTS_PER_INVOCATION % batchSize != 0) {
            throw new IllegalArgumentException("batchSize must divide " + TEXTS_PER_INVOCATION + ", got " + batchSize);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(intraOpThreads);
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(DefaultEncoderFiles.model(), so);
        }
        groups = new ArrayList<>();
        try (HuggingFaceTokenizer tokenizer = DefaultEncoderFiles.windowedTokenizer()) {
            for (int g = 0; g < GROUPS; g++) {
                Encoding[] encodings = tokenizer.batchEncode(BenchTexts.shortTexts(g * TEXTS_PER_INVOCATION, TEXTS_PER_INVOCATION));
                Arrays.sort(encodings, Comparator.comparingInt((Encoding e) -> e.getIds().length).reversed());
                List<Map<String, OnnxTensor>> runs = new ArrayList<>();
                for (int from = 0; from < encodings.length; from += batchSize) {
                    runs.add(tensors(env, Arrays.copyOfRange(encodings, from, from + batchSize)));
                }
                groups.add(runs);
            }
        }
    }

    private static Map<String, OnnxTensor> tensors(OrtEnvironment env, Encoding[] rows) throws OrtException {
        int len = rows[0].getIds().length;
        LongBuffer ids = direct(rows.length * len);
        LongBuffer mask = direct(rows.length * len);
        LongBuffer types = direct(rows.length * len);
        for (int r = 0; r < rows.length; r++) {
            ids.put(r * len, rows[r].getIds());
            mask.put(r * len, rows[r].getAttentionMask());
            types.put(r * len, rows[r].getTypeIds());
        }
        long[] shape = {rows.length, len};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        inputs.put("input_ids", OnnxTensor.createTensor(env, ids, shape));
        inputs.put("attention_mask", OnnxTensor.createTensor(env, mask, shape));
        inputs.put("token_type_ids", OnnxTensor.createTensor(env, types, shape));
        return inputs;
    }

    private static LongBuffer direct(int longs) {
        return ByteBuffer.allocateDirect(longs * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        for (List<Map<String, OnnxTensor>> runs : groups) {
            for (Map<String, OnnxTensor> inputs : runs) {
                inputs.values().forEach(OnnxTensor::close);
            }
        }
        session.close();
    }

    @Benchmark
    @OperationsPerInvocation(TEXTS_PER_INVOCATION)
    public void run(Blackhole bh) throws OrtException {
        List<Map<String, OnnxTensor>> runs = groups.get(next);
        next = (next + 1) % groups.size();
        for (Map<String, OnnxTensor> inputs : runs) {
            try (OrtSession.Result result = session.run(inputs, Set.of("last_hidden_state"))) {
                bh.consume(result.get(0));
            }
        }
    }
}
