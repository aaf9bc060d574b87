package dev.parapet.export;

/** How the token vectors of the encoder output are reduced to one vector per text. */
public enum Pooling {
    /**
     * Average of the token vectors over the attention mask (padding excluded). This is what
     * sentence-transformers encoders such as all-MiniLM-L6-v2 were trained for.
     */
    MEAN,
    /** The vector of the first token ({@code [CLS]}), as BERT-style classifiers use. */
    CLS;

    /** The name written to {@code config.json}: {@code "mean"} or {@code "cls"}. */
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
