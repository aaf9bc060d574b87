package dev.parapet.train;

import dev.parapet.onnx.PooledEmbedding;

import java.util.List;

/**
 * What the encoder gives for one text: the pooled embedding the runtime hands to whole-text heads
 * (windows averaged, max over windows) and each window's own pooling, which windowed scanners score
 * separately. A text that fits one window has one window, the pooled embedding itself.
 */
public record TextEmbedding(PooledEmbedding pooled, List<PooledEmbedding> windows) {
    public TextEmbedding {
        windows = List.copyOf(windows);
        if (windows.isEmpty()) {
            throw new IllegalArgumentException("a text has at least one window");
        }
    }
}
