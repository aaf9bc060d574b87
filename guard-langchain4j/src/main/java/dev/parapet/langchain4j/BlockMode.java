package dev.parapet.langchain4j;

/**
 * What {@link GuardedChatModel} and {@link GuardedStreamingChatModel} do when the guard blocks.
 */
public enum BlockMode {
    /**
     * Throw {@link GuardrailBlockedException} (a stream gets it through {@code onError}). The default:
     * the caller decides what the user sees and can read the verdict.
     */
    THROW,
    /**
     * Answer with the configured refusal message instead, as an ordinary response with finish
     * reason {@link dev.langchain4j.model.output.FinishReason#CONTENT_FILTER}; the verdict is not
     * visible to the caller.
     */
    REFUSE
}
