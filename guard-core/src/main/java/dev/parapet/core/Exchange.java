package dev.parapet.core;

import java.util.Objects;

/** One prompt and, once the LLM answered, its output ({@code null} before that). */
public record Exchange(String prompt, String output) {
    public Exchange {
        Objects.requireNonNull(prompt, "prompt");
    }

    public static Exchange of(String prompt, String output) {
        return new Exchange(prompt, output);
    }

    public static Exchange promptOnly(String prompt) {
        return new Exchange(prompt, null);
    }
}
