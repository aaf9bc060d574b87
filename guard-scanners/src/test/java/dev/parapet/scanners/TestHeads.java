package dev.parapet.scanners;

import dev.parapet.demo.DemoModels;
import dev.parapet.export.LinearHead;
import dev.parapet.export.LinearHeadFitter;
import dev.parapet.export.SeedCorpus;
import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.PooledEmbedding;
import dev.parapet.onnx.Pooling;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.SharedTextEncoder;
import dev.parapet.onnx.TextEncoder;

import java.util.ArrayList;
import java.util.List;

/** Heads fitted by the tests on the seed corpus, on the real MiniLM encoder: real parts, small data. */
final class TestHeads {
    static final int MAX_LENGTH = 128;
    static final int WINDOW = 64;

    private TestHeads() {
    }

    static SharedTextEncoder encoder() {
        return SharedTextEncoder.of(TextEncoder.builder(DemoModels.minilmEncoder()).maxLength(WINDOW)
                .options(RuntimeOptions.builder().maxBatchSize(1).build()).build());
    }

    /** A toxicity head: logistic regression on mean pooling of the 60 seed sentences. */
    static EmbeddingHead toxicity(SharedTextEncoder encoder) {
        List<String> texts = new ArrayList<>(SeedCorpus.benign());
        texts.addAll(SeedCorpus.toxic());
        int[] y = new int[texts.size()];
        for (int i = SeedCorpus.benign().size(); i < y.length; i++) {
            y[i] = 1;
        }
        float[][] x = new float[texts.size()][];
        List<PooledEmbedding> pooled = encoder.encoder().encodeAll(texts);
        for (int i = 0; i < x.length; i++) {
            x[i] = pooled.get(i).mean();
        }
        LinearHead fitted = LinearHeadFitter.builder().balanced(true).build().fit(x, y, List.of("non-toxic", "toxic"));
        return binary("seed-toxicity", fitted, EmbeddingHead.Input.TEXT, EmbeddingHead.Task.BINARY, List.of(), 0.5);
    }

    /**
     * A toy reward head: the response's "benign minus toxic" direction, so a polite answer beats an
     * insult. It tests the scanner's mechanics, not preference quality.
     */
    static EmbeddingHead reward(SharedTextEncoder encoder) {
        EmbeddingHead tox = toxicity(encoder);
        float[] w = tox.layers().get(0).weights();
        float[] pair = new float[2 * w.length];
        for (int d = 0; d < w.length; d++) {
            pair[w.length + d] = -w[d];
        }
        return EmbeddingHead.builder("toy-reward").task(EmbeddingHead.Task.REWARD).input(EmbeddingHead.Input.PAIR)
                .encoder("all-minilm-l6-v2-q", "test", MAX_LENGTH).poolings(List.of(Pooling.MEAN))
                .pairFeatures(List.of(EmbeddingHead.PairFeature.PROMPT, EmbeddingHead.PairFeature.RESPONSE))
                .layer(new EmbeddingHead.Dense(pair.length, 1, pair, new float[]{-tox.layers().get(0).bias()[0]}, EmbeddingHead.Activation.NONE))
                .labels(List.of("rejected", "chosen")).threshold(0.3).build();
    }

    private static EmbeddingHead binary(String name, LinearHead fitted, EmbeddingHead.Input input, EmbeddingHead.Task task,
                                        List<EmbeddingHead.PairFeature> pairFeatures, double threshold) {
        float[][] wt = fitted.weights();
        int dim = wt[0].length;
        float[] w = new float[dim];
        for (int d = 0; d < dim; d++) {
            w[d] = wt[1][d] - wt[0][d];
        }
        float b = fitted.bias()[1] - fitted.bias()[0];
        return EmbeddingHead.builder(name).task(task).input(input).encoder("all-minilm-l6-v2-q", "test", MAX_LENGTH)
                .poolings(List.of(Pooling.MEAN)).pairFeatures(pairFeatures)
                .layer(new EmbeddingHead.Dense(dim, 1, w, new float[]{b}, EmbeddingHead.Activation.NONE))
                .labels(List.of("non-toxic", "toxic")).threshold(threshold).build();
    }
}
