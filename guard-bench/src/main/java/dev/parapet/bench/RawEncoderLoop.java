package dev.parapet.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The floor for the default scanner: the least code that turns texts into the default encoder's
 * vectors, written by hand against DJL's tokenizer and ONNX Runtime. Texts go in chunks of
 * {@code batch}; each chunk is tokenized in one {@code batchEncode} with the same windows as
 * Parapet (256 tokens, stride 64, so long texts are not cut), its windows run {@code batch} rows at
 * a time in input order, padded to the run's longest row, from direct native-order buffers, asking
 * only for {@code last_hidden_state}; a window's vector is its CLS row (bge's pooling) and a text's
 * the mean over its windows. No length sorting, no memo, no locks, no result objects, no head.
 *
 * <p>Not thread-safe (one set of buffers); use one per thread.
 */
final class RawEncoderLoop implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final boolean ownsSession;
    private final int batch;
    private final int hidden;
    private final LongBuffer ids;
    private final LongBuffer mask;
    private final LongBuffer types;

    /**
     * @param intraOpThreads ONNX Runtime's intra-op threads; everything else is ONNX Runtime's default
     * @param batch          texts per chunk and rows per run
     */
    RawEncoderLoop(int intraOpThreads, int batch) throws OrtException {
        this(null, intraOpThreads, batch);
    }

    /** With a session shared with other loops (for several callers on one session). */
    RawEncoderLoop(OrtSession shared, int intraOpThreads, int batch) throws OrtException {
        this.tokenizer = DefaultEncoderFiles.windowedTokenizer();
        this.env = OrtEnvironment.getEnvironment();
        this.ownsSession = shared == null;
        this.session = shared != null ? shared : openSession(intraOpThreads);
        this.batch = batch;
        this.hidden = 384;
        int cells = batch * DefaultEncoderFiles.WINDOW;
        this.ids = direct(cells);
        this.mask = direct(cells);
        this.types = direct(cells);
    }

    static OrtSession openSession(int intraOpThreads) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(intraOpThreads);
            return OrtEnvironment.getEnvironment().createSession(DefaultEncoderFiles.model(), options);
        }
    }

    /** One CLS vector per text (mean over the text's windows), in input order. */
    float[][] embedAll(List<String> texts) throws OrtException {
        float[][] out = new float[texts.size()][];
        for (int from = 0; from < texts.size(); from += batch) {
            List<String> chunk = texts.subList(from, Math.min(texts.size(), from + batch));
            Encoding[] encodings = tokenizer.batchEncode(chunk);
            List<long[][]> windows = new ArrayList<>();
            List<Integer> owners = new ArrayList<>();
            for (int t = 0; t < encodings.length; t++) {
                windows.add(new long[][]{encodings[t].getIds(), encodings[t].getAttentionMask(), encodings[t].getTypeIds()});
                owners.add(from + t);
                for (Encoding overflow : encodings[t].getOverflowing()) {
                    windows.add(new long[][]{overflow.getIds(), overflow.getAttentionMask(), overflow.getTypeIds()});
                    owners.add(from + t);
                }
            }
            int[] counts = new int[texts.size()];
            for (int w = 0; w < windows.size(); w += batch) {
                int rows = Math.min(batch, windows.size() - w);
                float[][] cls = run(windows.subList(w, w + rows));
                for (int r = 0; r < rows; r++) {
                    int owner = owners.get(w + r);
                    if (out[owner] == null) {
                        out[owner] = cls[r];
                    } else {
                        for (int d = 0; d < hidden; d++) {
                            out[owner][d] += cls[r][d];
                        }
                    }
                    counts[owner]++;
                }
            }
            for (int t = from; t < from + chunk.size(); t++) {
                if (counts[t] > 1) {
                    for (int d = 0; d < hidden; d++) {
                        out[t][d] /= counts[t];
                    }
                }
            }
        }
        return out;
    }

    private float[][] run(List<long[][]> rows) throws OrtException {
        int len = 0;
        for (long[][] w : rows) {
            len = Math.max(len, w[0].length);
        }
        int cells = rows.size() * len;
        ids.clear().limit(cells);
        mask.clear().limit(cells);
        types.clear().limit(cells);
        for (int r = 0; r < rows.size(); r++) {
            long[][] w = rows.get(r);
            int base = r * len;
            ids.put(base, w[0]);
            mask.put(base, w[1]);
            types.put(base, w[2]);
            for (int c = w[0].length; c < len; c++) {
                ids.put(base + c, 0L);
                mask.put(base + c, 0L);
                types.put(base + c, 0L);
            }
        }
        long[] shape = {rows.size(), len};
        Map<String, OnnxTensor> inputs = new HashMap<>(4);
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, ids, shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, mask, shape));
            inputs.put("token_type_ids", OnnxTensor.createTensor(env, types, shape));
            try (OrtSession.Result result = session.run(inputs, Set.of("last_hidden_state"))) {
                FloatBuffer fb = ((OnnxTensor) result.get(0)).getFloatBuffer();
                float[][] cls = new float[rows.size()][hidden];
                for (int r = 0; r < rows.size(); r++) {
                    fb.get(r * len * hidden, cls[r]);
                }
                return cls;
            }
        } finally {
            for (OnnxTensor t : inputs.values()) {
                t.close();
            }
        }
    }

    OrtSession session() {
        return session;
    }

    /** Closes the tokenizer, and the session when this loop opened it. */
    @Override
    public void close() throws OrtException {
        tokenizer.close();
        if (ownsSession) {
            session.close();
        }
    }

    private static LongBuffer direct(int longs) {
        return ByteBuffer.allocateDirect(longs * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    }
}
