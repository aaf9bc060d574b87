package dev.parapet.onnx;

import java.util.Map;
import java.util.Objects;

/**
 * Every pooling of one text from one encoder pass, un-normalised: heads pick (and normalise) the
 * parts they were trained on, so several heads share one encoder run. For a text longer than the
 * encoder's window, {@code mean} and {@code cls} are averaged over windows and {@code max} is the
 * maximum over windows.
 *
 * <p>{@code taps} holds the same poolings of intermediate encoder outputs ({@link TextEncoder.Builder#taps}),
 * by tensor name, from the same run; empty when the encoder was built without taps.
 *
 * <p>{@code pieces} are the token ids the poolings were computed over (special tokens included; for a text of
 * several windows, every window's), which a head with a lexicon reads ({@link EmbeddingHead#lexicon()});
 * {@code null} when not known (e.g. an embedding read back from a cache). Not copied: do not modify.
 */
public record PooledEmbedding(float[] mean, float[] cls, float[] max, Map<String, PooledEmbedding> taps, int[] pieces) {

    public PooledEmbedding {
        Objects.requireNonNull(mean, "mean");
        Objects.requireNonNull(cls, "cls");
        Objects.requireNonNull(max, "max");
        taps = Map.copyOf(taps);
    }

    /** The final output's poolings only. */
    public PooledEmbedding(float[] mean, float[] cls, float[] max) {
        this(mean, cls, max, Map.of(), null);
    }

    /** Poolings with taps, token ids unknown. */
    public PooledEmbedding(float[] mean, float[] cls, float[] max, Map<String, PooledEmbedding> taps) {
        this(mean, cls, max, taps, null);
    }

    public float[] get(Pooling pooling) {
        return switch (pooling) {
            case MEAN -> mean;
            case CLS -> cls;
            case MAX -> max;
        };
    }

    /**
     * The poolings of the intermediate encoder output {@code name}.
     *
     * @throws IllegalStateException when the encoder was not built with that tap
     */
    public PooledEmbedding tap(String name) {
        PooledEmbedding t = taps.get(name);
        if (t == null) {
            throw new IllegalStateException("no encoder tap '" + name + "' in this embedding (taps: " + taps.keySet()
                    + "); build the encoder with TextEncoder.Builder.taps(...) naming it");
        }
        return t;
    }

    /** The same poolings with {@code taps} attached (replacing any). */
    public PooledEmbedding withTaps(Map<String, PooledEmbedding> taps) {
        return new PooledEmbedding(mean, cls, max, taps, pieces);
    }

    /** The same poolings with the token ids they were computed over ({@link #pieces()}; {@code null}: unknown). */
    public PooledEmbedding withPieces(int[] pieces) {
        return new PooledEmbedding(mean, cls, max, taps, pieces);
    }

    public int dimension() {
        return mean.length;
    }
}
