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

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The floor to compare {@link ClassifierBenchmark#classifyAll} with: the least code that scores a
 * batch of texts on the same fused {@code model.onnx}, written by hand against DJL's tokenizer and
 * ONNX Runtime. One {@code batchEncode} of 32 {@link ShortTexts} with padding and truncation off,
 * padding to the batch's longest text, direct native-order {@code LongBuffer} tensors, one
 * {@code run} asking for {@code logits} only, softmax per row; reported in texts/s. Same model,
 * threads, batches and texts as {@code classifyAll} at {@code batchSize=32}, and the same
 * probabilities, but none of Parapet's windows for long texts, character spans, length sorting,
 * result objects or lifecycle locking: the ratio of the two is what those cost on short texts.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx2g", "-DOPT_OUT_TRACKING=true", "-DRUST_FLAVOR=cpu", "-Dai.djl.offline=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"})
public class RawOrtBaselineBenchmark {
    static final int BATCH = 32;
    /** all-MiniLM-L6-v2's position embeddings: no row the model accepts is longer. */
    static final int MAX_TOKENS = 512;

    @Param({"1", "2"})
    int intraOpThreads;

    private HuggingFaceTokenizer tokenizer;
    private OrtEnvironment env;
    private OrtSession session;
    private boolean feedTypes;
    private List<List<String>> batches;

    @Setup(Level.Trial)
    public void setUp() throws IOException, OrtException {
        BenchModels.offlineDjl();
        Path model = BenchModels.toxicity();
        // Off explicitly, as Parapet does: a tokenizer.json may bake either in (LangChain4j's MiniLM file pads
        // every text to 128 tokens), and this loop pads each batch to its own longest text instead.
        tokenizer = HuggingFaceTokenizer.newInstance(model.resolve("tokenizer.json"), Map.of("padding", "false", "truncation", "false"));
        env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(intraOpThreads);
            session = env.createSession(model.resolve("model.onnx").toString(), options);
        }
        feedTypes = session.getInputNames().contains("token_type_ids");
        batches = ShortTexts.batches(BATCH);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        session.close();
        tokenizer.close();
    }

    /**
     * Input buffers and the position in the texts, one per benchmark thread like Parapet's own
     * scratch buffers, so that runs with {@code -t N} stay correct.
     */
    @State(Scope.Thread)
    public static class Scratch {
        private LongBuffer ids;
        private LongBuffer mask;
        private LongBuffer types;
        private int next;

        @Setup(Level.Trial)
        public void setUp() {
            // Allocated once: ONNX Runtime reads direct, native-order buffers in place, without a copy.
            ids = direct(BATCH * MAX_TOKENS);
            mask = direct(BATCH * MAX_TOKENS);
            types = direct(BATCH * MAX_TOKENS);
        }

        List<String> nextBatch(List<List<String>> batches) {
            List<String> batch = batches.get(next);
            next = (next + 1) % batches.size();
            return batch;
        }

        private static LongBuffer direct(int longs) {
            return ByteBuffer.allocateDirect(longs * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public float[][] rawBatch(Scratch scratch) throws OrtException {
        List<String> texts = scratch.nextBatch(batches);
        LongBuffer ids = scratch.ids;
        LongBuffer mask = scratch.mask;
        LongBuffer types = scratch.types;

        Encoding[] encodings = tokenizer.batchEncode(texts);
        int len = 0;
        for (Encoding e : encodings) {
            len = Math.max(len, e.getIds().length);
        }
        int cells = encodings.length * len;
        ids.clear().limit(cells);
        mask.clear().limit(cells);
        types.clear().limit(cells);
        for (int r = 0; r < encodings.length; r++) {
            long[] rowIds = encodings[r].getIds();
            int base = r * len;
            ids.put(base, rowIds);
            mask.put(base, encodings[r].getAttentionMask());
            types.put(base, encodings[r].getTypeIds());
            // The buffers are reused: zero the padding a longer earlier batch may have left behind.
            for (int c = rowIds.length; c < len; c++) {
                ids.put(base + c, 0L);
                mask.put(base + c, 0L);
                types.put(base + c, 0L);
            }
        }

        long[] shape = {encodings.length, len};
        Map<String, OnnxTensor> inputs = new HashMap<>(4);
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, ids, shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, mask, shape));
            if (feedTypes) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(env, types, shape));
            }
            try (OrtSession.Result result = session.run(inputs, Set.of("logits"))) {
                OnnxTensor logits = (OnnxTensor) result.get(0);
                int labels = (int) logits.getInfo().getShape()[1];
                FloatBuffer out = logits.getFloatBuffer();
                float[][] probabilities = new float[encodings.length][];
                for (int r = 0; r < encodings.length; r++) {
                    float[] row = new float[labels];
                    out.get(r * labels, row);
                    probabilities[r] = softmax(row);
                }
                return probabilities;
            }
        } finally {
            for (OnnxTensor t : inputs.values()) {
                t.close();
            }
        }
    }

    private static float[] softmax(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        float sum = 0;
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.exp(logits[i] - max);
            sum += logits[i];
        }
        for (int i = 0; i < logits.length; i++) {
            logits[i] /= sum;
        }
        return logits;
    }
}
