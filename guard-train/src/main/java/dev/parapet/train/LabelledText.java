package dev.parapet.train;

import java.util.Objects;

/**
 * One labelled example of a binary text task: the text the head judges, the prompt it answered
 * (refusal data; {@code null} elsewhere) and the label, 1 for the flagged class.
 */
public record LabelledText(String prompt, String text, int label) {
    public LabelledText {
        Objects.requireNonNull(text, "text");
        if (label != 0 && label != 1) {
            throw new IllegalArgumentException("label must be 0 or 1, got " + label);
        }
    }
}
