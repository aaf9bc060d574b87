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
public record FeatureSpec(List<Pooling> poolings, boolean normalize, List<EmbeddingHead.PairFeature> pairFeatures,
                          int openingTokens, List<Pooling> openingPoolings, List<String> taps, int[] lexicon) {

    public FeatureSpec {
        lexicon = lexicon == null ? new int[0] : lexicon.clone();
        poolings = List.copyOf(poolings);
        pairFeatures = List.copyOf(pairFeatures);
        openingPoolings = List.copyOf(openingPoolings);
        taps = List.copyOf(taps);
        if (poolings.isEmpty()) {
            throw new IllegalArgumentException("at least one pooling");
        }
        if ((openingTokens == 0) != openingPoolings.isEmpty()) {
            throw new IllegalArgumentException("an opening needs tokens and poolings, got " + openingTokens + " " + openingPoolings);
        }
        if (openingTokens > 0 && !pairFeatures.isEmpty()) {
            throw new IllegalArgumentException("pair features cannot read an opening");
        }
    }

    public FeatureSpec(List<Pooling> poolings, boolean normalize, List<EmbeddingHead.PairFeature> pairFeatures) {
        this(poolings, normalize, pairFeatures, 0, List.of(), List.of(), new int[0]);
    }

    /**
     * The same features followed by the presence of these word pieces in the window ({@link EmbeddingHead#lexicon()});
     * the embeddings must carry their token ids ({@link TextEmbedding#withPieces}). Empty: none.
     */
    public FeatureSpec withLexicon(int[] ids) {
        return new FeatureSpec(poolings, normalize, pairFeatures, openingTokens, openingPoolings, taps, ids);
    }

    @Override
    public int[] lexicon() {
        return lexicon.clone();
    }

    /**
     * The same features, each block (windows and opening alike) followed by the same poolings of
     * these intermediate encoder outputs ({@link EmbeddingHead#taps()}; see {@link Taps}). The
     * embeddings must carry them ({@link Workbench#tapped}).
     */
    public FeatureSpec withTaps(List<String> taps) {
        return new FeatureSpec(poolings, normalize, pairFeatures, openingTokens, openingPoolings, taps, lexicon);
    }

    /**
     * The same features followed by the poolings of the text's first {@code tokens} tokens encoded on
     * their own ({@link TextEmbedding#opening()}; see {@link EmbeddingHead#openingTokens()}).
     */
    public FeatureSpec withOpening(int tokens, Pooling... poolings) {
        return new FeatureSpec(this.poolings, normalize, pairFeatures, tokens, List.of(poolings), taps, lexicon);
    }

    public boolean hasOpening() {
        return openingTokens > 0;
    }

    public static FeatureSpec text(boolean normalize, Pooling... poolings) {
        return new FeatureSpec(List.of(poolings), normalize, List.of());
    }

    public FeatureSpec withPairs(EmbeddingHead.PairFeature... features) {
        return new FeatureSpec(poolings, normalize, List.of(features), openingTokens, openingPoolings, taps, lexicon);
    }

    public boolean isPair() {
        return !pairFeatures.isEmpty();
    }

    /** Width of a text's feature vector for a {@code dimension}-wide encoder. */
    public int textSize(int dimension) {
        return dimension * (poolings.size() + openingPoolings.size()) * (1 + taps.size()) + lexicon.length;
    }

    public int size(int dimension) {
        return isPair() ? textSize(dimension) * pairFeatures.size() : textSize(dimension);
    }

    private EmbeddingHead placeholder(int dimension) {
        int n = size(dimension);
        EmbeddingHead.Builder b = EmbeddingHead.builder("features").encoder("any", "0", 512)
                .poolings(poolings).normalize(normalize).taps(taps).lexicon(lexicon).labels(List.of("0", "1"))
                .layer(new EmbeddingHead.Dense(n, 1, new float[n], new float[1], EmbeddingHead.Activation.NONE));
        if (isPair()) {
            b.input(EmbeddingHead.Input.PAIR).pairFeatures(pairFeatures);
        }
        if (hasOpening()) {
            b.opening(openingTokens, openingPoolings);
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
            TextEmbedding t = texts.get(i);
            out[i] = hasOpening() ? h.textFeatures(t.pooled(), opening(t, i)) : h.textFeatures(t.pooled());
        }
        return out;
    }

    private PooledEmbedding opening(TextEmbedding t, int i) {
        if (t.opening() == null) {
            throw new IllegalArgumentException("features " + this + " read an opening but text " + i + " has none (Workbench.withOpenings)");
        }
        return t.opening();
    }

    /** Text feature rows of single embeddings (e.g. one window each). */
    public float[][] rowsOf(List<PooledEmbedding> embeddings) {
        if (hasOpening()) {
            throw new IllegalStateException("features " + this + " read an opening: use textRows");
        }
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
        String s = p + (normalize ? " (L2)" : "") + (hasOpening() ? " + first " + openingTokens + " tokens "
                + openingPoolings.stream().map(x -> x.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining("+")) : "");
        s += taps.isEmpty() ? "" : " + taps " + Taps.describe(taps);
        s += lexicon.length == 0 ? "" : " + lexicon of " + lexicon.length + " word pieces";
        return isPair() ? s + " pair[" + pairFeatures.stream().map(x -> x.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(",")) + "]" : s;
    }
}
