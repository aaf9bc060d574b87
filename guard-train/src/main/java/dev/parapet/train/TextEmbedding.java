package dev.parapet.train;

import dev.parapet.onnx.PooledEmbedding;

import java.util.List;

/**
 * What the encoder gives for one text: the pooled embedding the runtime hands to whole-text heads
 * (windows averaged, max over windows) and each window's own pooling, which windowed scanners score
 * separately. A text that fits one window has one window, the pooled embedding itself. Heads
 * that also read a text's first tokens get them as {@link #opening()} ({@code null} when not computed).
 */
public record TextEmbedding(PooledEmbedding pooled, List<PooledEmbedding> windows, PooledEmbedding opening) {
    public TextEmbedding {
        windows = List.copyOf(windows);
        if (windows.isEmpty()) {
            throw new IllegalArgumentException("a text has at least one window");
        }
    }

    /** Without an opening. */
    public TextEmbedding(PooledEmbedding pooled, List<PooledEmbedding> windows) {
        this(pooled, windows, null);
    }

    /**
     * The same text with the poolings of intermediate encoder outputs attached to its pooled
     * embedding and to each window ({@code PooledEmbedding.taps()}): {@code taps.get(k)} is this text
     * embedded at the tensor {@code names.get(k)} (same windows). The opening is kept as it is.
     */
    public TextEmbedding withTaps(List<String> names, List<TextEmbedding> taps) {
        if (names.size() != taps.size()) {
            throw new IllegalArgumentException(names.size() + " tap names for " + taps.size() + " tap embeddings");
        }
        java.util.Map<String, PooledEmbedding> pooledTaps = new java.util.LinkedHashMap<>();
        for (int k = 0; k < names.size(); k++) {
            if (taps.get(k).windows().size() != windows.size()) {
                throw new IllegalArgumentException("tap " + names.get(k) + " has " + taps.get(k).windows().size() + " windows where the text has "
                        + windows.size());
            }
            pooledTaps.put(names.get(k), taps.get(k).pooled());
        }
        List<PooledEmbedding> ws = new java.util.ArrayList<>(windows.size());
        for (int w = 0; w < windows.size(); w++) {
            java.util.Map<String, PooledEmbedding> t = new java.util.LinkedHashMap<>();
            for (int k = 0; k < names.size(); k++) {
                t.put(names.get(k), taps.get(k).windows().get(w));
            }
            ws.add(windows.get(w).withTaps(t));
        }
        return new TextEmbedding(pooled.withTaps(pooledTaps), ws, opening);
    }

    /**
     * The same text with each window's token ids ({@code TextEncoder.windowPieces}) attached to that window, and all
     * of them to the pooled embedding, for heads that read a lexicon.
     */
    public TextEmbedding withPieces(List<int[]> perWindow) {
        if (perWindow.size() != windows.size()) {
            throw new IllegalArgumentException(perWindow.size() + " windows of token ids for a text of " + windows.size() + " windows");
        }
        List<PooledEmbedding> ws = new java.util.ArrayList<>(windows.size());
        for (int w = 0; w < windows.size(); w++) {
            ws.add(windows.get(w).withPieces(perWindow.get(w)));
        }
        int[] all = perWindow.stream().flatMapToInt(java.util.Arrays::stream).toArray();
        return new TextEmbedding(pooled.withPieces(all), ws, opening);
    }

    /** The same text with its opening ({@code TextEncoder.encodeOpenings}), for heads that read one. */
    public TextEmbedding withOpening(PooledEmbedding opening) {
        return new TextEmbedding(pooled, windows, opening);
    }
}
