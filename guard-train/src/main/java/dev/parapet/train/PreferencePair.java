package dev.parapet.train;

import java.util.Objects;

/** A preference judgement: for {@code prompt}, {@code chosen} was preferred to {@code rejected}. */
public record PreferencePair(String prompt, String chosen, String rejected) {
    public PreferencePair {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(chosen, "chosen");
        Objects.requireNonNull(rejected, "rejected");
    }
}
