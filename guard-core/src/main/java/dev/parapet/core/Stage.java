package dev.parapet.core;

/** Which side of an exchange a scanner judges. */
public enum Stage {
    /** The user's prompt, before it reaches the LLM. */
    PROMPT,
    /** The LLM's output; the prompt is available as context. */
    OUTPUT
}
