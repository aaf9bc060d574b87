package dev.parapet.onnx;

import java.util.List;

/**
 * One text after one encoder pass: the poolings of each window (UTF-16 spans into the text) and of
 * the whole text ({@link #pooled()}: mean and CLS averaged over windows, max the maximum). A text
 * that fits the encoder's window has one window and {@code pooled()} equals its pooling.
 */
public record EncodedText(List<WindowEmbedding> windows, PooledEmbedding pooled) {

    public EncodedText {
        windows = List.copyOf(windows);
    }

    /**
     * One window of a text: its span, poolings and length in tokens (special tokens included;
     * {@code -1} when unknown).
     */
    public record WindowEmbedding(int index, int start, int end, PooledEmbedding embedding, int tokens) {
        public WindowEmbedding(int index, int start, int end, PooledEmbedding embedding) {
            this(index, start, end, embedding, -1);
        }
    }
}
