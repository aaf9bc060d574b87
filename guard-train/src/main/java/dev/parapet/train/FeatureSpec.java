package dev.parapet.train;

import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.PooledEmbedding;
import dev.parapet.onnx.Pooling;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Which parts of a {@link PooledEmbedding} a head reads: poolings (concatenated in order),
 * per-part L2 normalisation, and for pair heads how prompt and response features combine.
 *
 * <p>Feature vectors are computed by {@link EmbeddingHead#textFeatures} / {@link EmbeddingHead#pairFeatures}
 * of a placeholder head with these settings, i.e. by the runtime's own code, so a trained head
 * sees at run time exactly the features it was fitted on.
 */
public record FeatureSpec(List<Pooling> poolings, boolean normalize, List<EmbeddingHead.PairFeature> pairFeatures) {

    public FeatureSpec {
        poolings = List.copyOf(poolings);
        pairFeatures = List.copyOf(pairFeatures);
        if (poolings.isEmpty()) {
            throw new IllegalArgumentException("at least one pooling");
        }
    }

    public static FeatureSpec text(boolean normalize, Pooling... poolings) {
        return new FeatureSpec(List.of(poolings), normalize, List.of());
    }

    public FeatureSpec withPairs(EmbeddingHead.PairFeature... features) {
        return new FeatureSpec(poolings, normalize, List.of(features));
    }

    public boolean isPair() {
        return !pairFeatures.isEmpty();
    }

    /** Width of a text's feature vector for a {@code dimension}-wide encoder. */
    public int textSize(int dimension) {
        return dimension * poolings.size();
    }

    public int size(int dimension) {
        return isPair() ? textSize(dimension) * pairFeatures.size() : textSize(dimension);
    }

    private EmbeddingHead placeholder(int dimension) {
        int n = size(dimension);
        EmbeddingHead.Builder b = EmbeddingHead.builder("features").encoder("any", "0", 512)
                .poolings(poolings).normalize(normalize).labels(List.of("0", "1"))
                .layer(new EmbeddingHead.Dense(n, 1, new float[n], new float[1], EmbeddingHead.Activation.NONE));
        if (isPair()) {
            b.input(EmbeddingHead.Input.PAIR).pairFeatures(pairFeatures);
        }
        return b.build();
    }

    /** Text feature rows of the whole-text pooled embeddings. */
    public float[][] textRows(List<TextEmbedding> texts) {
        if (texts.isEmpty()) {
            return new float[0][];
        }
        EmbeddingHead h = placeholder(texts.get(0).pooled().dimension());
        float[][] out = new float[texts.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = h.textFeatures(texts.get(i).pooled());
        }
        return out;
    }

    /** Text feature rows of single embeddings (e.g. one window each). */
    public float[][] rowsOf(List<PooledEmbedding> embeddings) {
        if (embeddings.isEmpty()) {
            return new float[0][];
        }
        EmbeddingHead h = placeholder(embeddings.get(0).dimension());
        float[][] out = new float[embeddings.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = h.textFeatures(embeddings.get(i));
        }
        return out;
    }

    /** Pair feature rows of (prompt, response) whole-text embeddings. */
    public float[][] pairRows(List<TextEmbedding> prompts, List<TextEmbedding> responses) {
        Objects.requireNonNull(prompts, "prompts");
        if (prompts.size() != responses.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + responses.size() + " responses");
        }
        if (prompts.isEmpty()) {
            return new float[0][];
        }
        EmbeddingHead h = placeholder(prompts.get(0).pooled().dimension());
        float[][] out = new float[prompts.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = h.pairFeatures(prompts.get(i).pooled(), responses.get(i).pooled());
        }
        return out;
    }

    @Override
    public String toString() {
        String p = poolings.stream().map(x -> x.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining("+"));
        String s = p + (normalize ? " (L2)" : "");
        return isPair() ? s + " pair[" + pairFeatures.stream().map(x -> x.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(",")) + "]" : s;
    }
}
