package dev.parapet.core;

import java.util.Objects;

/**
 * What a scanner is asked to judge: the stage, the prompt and (for {@link Stage#OUTPUT}) the output.
 * Texts are the ones left after the sanitizers that ran before this scanner.
 */
public record ScanInput(Stage stage, String prompt, String output) {
    public ScanInput {
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(prompt, "prompt");
        if (stage == Stage.OUTPUT) {
            Objects.requireNonNull(output, "output");
        }
    }

    public static ScanInput prompt(String prompt) {
        return new ScanInput(Stage.PROMPT, prompt, null);
    }

    public static ScanInput output(String prompt, String output) {
        return new ScanInput(Stage.OUTPUT, prompt, output);
    }

    /** The text this stage judges: the prompt for {@link Stage#PROMPT}, the output otherwise. */
    public String text() {
        return stage == Stage.PROMPT ? prompt : output;
    }
}
