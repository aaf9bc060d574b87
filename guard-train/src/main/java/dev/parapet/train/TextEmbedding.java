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

    /** The same text with its opening ({@code TextEncoder.encodeOpenings}), for heads that read one. */
    public TextEmbedding withOpening(PooledEmbedding opening) {
        return new TextEmbedding(pooled, windows, opening);
    }
}
