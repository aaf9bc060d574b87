package dev.parapet.scanners;

/** How a head scanner cuts a text before scoring it; the result's {@code match} attribute says which ran. */
public enum MatchMode {
    /** Token windows of the encoder's size, overlapping; max over windows. */
    WINDOWS,
    /**
     * Sentence by sentence ({@link java.text.BreakIterator}, no download), each sentence in windows
     * if it is long; max over sentences. One bad sentence in a long benign text cannot be averaged
     * away, at the price of not seeing context across sentences.
     */
    SENTENCES
}
