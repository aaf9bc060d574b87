package dev.parapet.export;

import java.util.Locale;

/**
 * One way of reducing the encoder's token vectors to one vector, as a part of a concatenated
 * feature vector in {@link FusedHeadExporter}. Separate from {@link Pooling} (which
 * {@link FusedClassifierExporter} accepts) because max pooling is only offered by the head exporter.
 */
public enum TokenPooling {
    /** Average over the tokens the attention mask keeps. */
    MEAN,
    /** The first token's vector. */
    CLS,
    /** Element-wise maximum over the tokens the attention mask keeps. */
    MAX;

    /** The lower-case name written to {@code config.json}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
