package dev.parapet.train;

import java.util.Objects;

/** A preference judgement: for {@code prompt}, {@code chosen} was preferred to {@code rejected}. */
public record PreferencePair(String prompt, String chosen, String rejected) {
    public PreferencePair {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(chosen, "chosen");
        Objects.requireNonNull(rejected, "rejected");
    }

    /**
     * The text of an HH-style dialogue's last "Human:" turn ("Human: ...\n\nAssistant: ...\n\nHuman: ..."), or the whole
     * text if it has none (a plain prompt is its own last turn).
     */
    public static String lastHumanTurn(String dialogue) {
        int at = dialogue.lastIndexOf("Human:");
        if (at < 0) {
            return dialogue;
        }
        String turn = dialogue.substring(at + "Human:".length()).strip();
        return turn.isEmpty() ? dialogue : turn;
    }
}
