package dev.parapet.scanners;

/** What a model scanner feeds its classifier. */
public enum TextInput {
    /** The stage's own text: the prompt for input scanners, the output for output scanners. */
    TEXT,
    /** The pair (prompt, output), the output windowed; only meaningful for output scanners. */
    PAIR
}
